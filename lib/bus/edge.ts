/**
 * Edge mode: `serve` and `ingest` with `DNSA_BUS` and no database. The sources are read as
 * always (the same tail pipeline, follower, decoders and fast path into binary COPY rows), but
 * each batch is published to the bus (edge_store.ts) instead of committed, and the checkpoints
 * live in `DNSA_DATA_DIR`. This module opens an edge and runs `ingest` there; edge_serve.ts
 * runs `serve`.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { Sql } from "../db/connect.ts";
import { backoffMs } from "../backoff.ts";
import type { JobContext } from "../context.ts";
import { ingestDnstapFiles, isDnstapFile } from "../dnstap/file.ts";
import type { BatchStore, WriterContext } from "../ingest/commit.ts";
import { ingestLogFiles } from "../ingest/query_log.ts";
import type { Logger } from "../log.ts";
import { addSummary, type TailSummary } from "../tail/pipeline.ts";
import { sleep } from "../sleep.ts";
import { createPrivacyPolicy } from "../privacy/policy.ts";
import { type Bus, BusUnavailableError } from "./bus.ts";
import { EdgeStore, type PublishStats, recoverLastPublished } from "./edge_store.ts";
import { LocalCheckpoints } from "./local_checkpoint.ts";
import { connectNats } from "./nats.ts";

/**
 * Rows (dnstap: frames) per batch of `ingest` at an edge: as many as `ingest` commits at once.
 * At about 100 bytes a row a batch is several times NATS's default max_payload (1 MiB) and
 * goes in parts (nats.ts), which consumers read raw; a central commit per 50 000 rows rather
 * than per 8 000 is what keeps a backfill through the bus near direct ingest's rate (the
 * commits of one file take its checkpoint in turn). `serve` publishes what each pass read.
 */
export const EDGE_BATCH_ROWS = 50_000;

/** A database handle for a context that has none: any use is a bug, and says so. */
function noDatabase(): Sql {
  const fail = () => {
    throw new Error("edge mode has no database (DNSA_BUS without DATABASE_URL): a bug");
  };
  return new Proxy(fail, { get: fail, apply: fail }) as unknown as Sql;
}

/** Connect to the bus, retrying (with a warning) until it answers or `signal` aborts. */
export async function connectBusWithRetry(
  config: Readonly<Config>,
  log: Logger,
  options: { name: string; signal?: AbortSignal },
): Promise<Bus> {
  for (let attempt = 0;; attempt++) {
    try {
      return await connectNats(config.bus!, { name: options.name });
    } catch (error) {
      if (!(error instanceof BusUnavailableError) || options.signal?.aborted) throw error;
      const delayMs = backoffMs(attempt + 1);
      log.warn("bus unavailable at start, waiting", { error: error.message, retry_in_ms: delayMs });
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/**
 * Create the stream and consumer where missing, retrying (with a warning) while the bus does
 * not answer (a nats-server starting, JetStream not ready yet); false if `signal` aborted first.
 */
export async function setupBusWithRetry(
  bus: Bus,
  log: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  for (let attempt = 1;; attempt++) {
    try {
      await bus.setup();
      return true;
    } catch (error) {
      if (!(error instanceof BusUnavailableError) || signal.aborted) throw error;
      const delayMs = backoffMs(attempt);
      log.warn("bus unavailable at start, waiting", { error: error.message, retry_in_ms: delayMs });
      await sleep(delayMs, signal);
      if (signal.aborted) return false;
    }
  }
}

/** An open edge: a job context without a database, and where its batches go instead. */
export interface Edge {
  /** The context sources read with: `sql` is no database, `copy` makes binary COPY rows. */
  ctx: JobContext;
  /** Publishes batches and keeps the checkpoints (edge_store.ts). */
  store: BatchStore;
  stats: PublishStats;
  close(): Promise<void>;
}

/** Connect, make sure the stream exists, lock and recover the local checkpoints. */
export async function openEdge(
  config: Readonly<Config>,
  log: Logger,
  options: { command: string; signal?: AbortSignal },
): Promise<Edge> {
  const bus = await connectBusWithRetry(config, log, {
    name: `dns-analytics ${options.command} ${config.node}`,
    signal: options.signal,
  });
  try {
    await bus.setup().catch((error) => {
      // An edge's credentials may only publish: the stream is then bus-setup's to make.
      log.warn("bus stream not set up from this edge", {
        error: (error as Error).message,
        hint: "run 'dns-analytics bus-setup' with credentials that may manage the stream",
      });
    });
    const checkpoints = await LocalCheckpoints.open(config.dataDir, config.node);
    // The node's last message tells whether a crash left a checkpoint unwritten; a bus that
    // does not answer yet (a restart) is asked again.
    for (let attempt = 0;; attempt++) {
      try {
        const recovered = await recoverLastPublished(bus, checkpoints, config.node);
        if (recovered) log.info("edge checkpoint taken from the bus", recovered);
        break;
      } catch (error) {
        if (!(error instanceof BusUnavailableError) || options.signal?.aborted) {
          checkpoints.close();
          throw error;
        }
        const delayMs = backoffMs(attempt + 1);
        log.warn("bus unavailable at start, waiting", {
          error: error.message,
          retry_in_ms: delayMs,
        });
        await sleep(delayMs, options.signal);
      }
    }
    const store = new EdgeStore(bus, checkpoints, {
      node: config.node,
      log,
      signal: options.signal,
    });
    const close = async () => {
      checkpoints.close();
      await bus.close();
    };
    // Binary COPY rows (copy: true), as for PostgreSQL: the fast path reads the lines, and
    // the rows travel as the COPY data `consume` sends (batch_codec.ts).
    const ctx: JobContext = { config, sql: noDatabase(), copy: true, log, close };
    return { ctx, store, stats: store.stats, close };
  } catch (error) {
    await bus.close();
    throw error;
  }
}

/** The writer of an edge's batches: node id 0 (the central database gives the node its id). */
function edgeWriter(edge: Edge, signal?: AbortSignal): WriterContext {
  return {
    sql: edge.ctx.sql,
    nodeId: 0,
    tz: edge.ctx.config.logTz,
    knownDays: new Set(),
    copy: true,
    // What is stored of clients and names is decided here, before the rows leave the edge.
    privacy: createPrivacyPolicy(edge.ctx.config.privacy),
    retryForMs: Infinity,
    signal,
    store: edge.store,
  };
}

/** `ingest` at an edge: publish `paths` once (a backfill), exactly like `ingest` stores them. */
export async function ingestAtEdge(
  config: Readonly<Config>,
  log: Logger,
  options: { paths: readonly string[]; batchRows?: number; progress?: boolean },
): Promise<TailSummary> {
  const edge = await openEdge(config, log, { command: "ingest" });
  try {
    const batchRows = options.batchRows ?? EDGE_BATCH_ROWS;
    log.info("ingest started", { job: "ingest", node: config.node, bus: config.bus!.stream });
    const dnstapPaths: string[] = [], logPaths: string[] = [];
    for (const p of options.paths) (await isDnstapFile(p) ? dnstapPaths : logPaths).push(p);
    const writer = edgeWriter(edge);
    const summary = await ingestLogFiles(writer, logPaths, {
      log,
      progress: options.progress,
      batchRows,
    });
    if (dnstapPaths.length > 0) {
      const d = await ingestDnstapFiles(writer, dnstapPaths, { log, batchFrames: batchRows });
      const seconds = summary.seconds + d.seconds;
      addSummary(summary, d);
      summary.seconds = seconds;
    }
    log.info("ingest finished", {
      job: "ingest",
      node: config.node,
      rows: summary.rows,
      published_batches: edge.stats.batches,
      duplicates: edge.stats.duplicates,
    });
    return summary;
  } finally {
    await edge.close();
  }
}
