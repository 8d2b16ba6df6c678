/**
 * Edge mode: `serve` and `ingest` with `DNSA_BUS` and no database. The sources are read as
 * always (the same tail pipeline, follower and decoders), but each batch is published to the
 * bus (edge_store.ts) instead of committed, and the checkpoints live in `DNSA_DATA_DIR`. No
 * scheduled jobs run at an edge (the central tier rolls up); HTTP serves `/metrics` and
 * `/healthz` only.
 *
 * @module
 */
import type { Config } from "../config.ts";
import { ConfigError } from "../config.ts";
import type { Sql } from "../db/connect.ts";
import { backoffMs } from "../backoff.ts";
import { dnstapFileSource, ingestDnstapFiles, isDnstapFile } from "../dnstap/file.ts";
import { isDnstapFileTarget } from "../dnstap/follow.ts";
import { listenDnstap } from "../dnstap/listener.ts";
import { DnstapAssembler } from "../dnstap/rows.ts";
import type { WriterContext } from "../ingest/commit.ts";
import { queryLogSource } from "../ingest/query_log.ts";
import type { Logger } from "../log.ts";
import {
  formatExposition,
  type MetricFamily,
  MetricsRecorder,
  recorderFamilies,
} from "../metrics.ts";
import { sleep } from "../sleep.ts";
import { follow, type FollowStats } from "../tail/follower.ts";
import { addSummary, readFiles, type TailSummary } from "../tail/pipeline.ts";
import { createZoneClock } from "../time.ts";
import { type Bus, BusUnavailableError } from "./bus.ts";
import { EdgeStore, type PublishStats, recoverLastPublished } from "./edge_store.ts";
import { LocalCheckpoints } from "./local_checkpoint.ts";
import { connectNats } from "./nats.ts";

/** Rows (dnstap: frames) per published batch: a message stays well under NATS's 1 MiB. */
export const EDGE_BATCH_ROWS = 5000;

/** True when `command` runs as an edge: DNSA_BUS set and no PostgreSQL configured. */
export function isEdgeMode(config: Readonly<Config>, command: string): boolean {
  return config.bus !== null && config.database.kind !== "postgres" &&
    (command === "serve" || command === "ingest");
}

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
      const delayMs = Math.round(backoffMs(attempt));
      log.warn("bus unavailable at start, waiting", { error: error.message, retry_in_ms: delayMs });
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/** An open edge: bus, checkpoints and the writer context batches go through. */
export interface Edge {
  writer: WriterContext;
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
    const recovered = await recoverLastPublished(bus, checkpoints, config.node).catch(
      (error) => {
        checkpoints.close();
        throw error;
      },
    );
    if (recovered) log.info("edge checkpoint taken from the bus", recovered);
    const store = new EdgeStore(bus, checkpoints, {
      node: config.node,
      log,
      signal: options.signal,
    });
    const writer: WriterContext = {
      sql: noDatabase(),
      nodeId: 0, // the central database gives the node its id
      tz: config.logTz,
      knownDays: new Set(),
      copy: false, // text columns: the form batch messages carry (batch_codec.ts)
      retryForMs: Infinity,
      signal: options.signal,
      store,
    };
    return {
      writer,
      stats: store.stats,
      close: async () => {
        checkpoints.close();
        await bus.close();
      },
    };
  } catch (error) {
    await bus.close();
    throw error;
  }
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
    const summary = await readFiles(edge.writer, logPaths, {
      log,
      progress: options.progress,
      source: queryLogSource(edge.writer, { batchRows }),
    });
    if (dnstapPaths.length > 0) {
      const d = await ingestDnstapFiles(edge.writer, dnstapPaths, { log, batchFrames: batchRows });
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

/** `serve` at an edge: follow the sources and publish until `signal` aborts. */
export async function serveAtEdge(
  config: Readonly<Config>,
  log: Logger,
  options: { signal: AbortSignal; batchRows?: number; summaryMs?: number; http?: boolean },
): Promise<void> {
  const { signal } = options;
  if (config.source === "dnstap" && !config.dnstap) {
    throw new ConfigError("DNSA_SOURCE=dnstap needs DNSA_DNSTAP (a socket or a dnstap file)");
  }
  const edge = await openEdge(config, log, { command: "serve", signal });
  const metrics = new MetricsRecorder({ source: config.source });
  const stopHttp = new AbortController();
  const http = options.http === false ? null : Deno.serve({
    hostname: config.http.host,
    port: config.http.port,
    signal: stopHttp.signal,
    onListen: () => {},
  }, (req) => edgeHttp(req, config, metrics, edge.stats));
  const summary = setInterval(() => {
    log.info("serve summary", { job: "serve", mode: "edge", ...metrics.ingest, ...edge.stats });
  }, options.summaryMs ?? 60_000);
  const batchRows = options.batchRows ?? EDGE_BATCH_ROWS;
  log.info("serve started", {
    job: "serve",
    mode: "edge",
    node: config.node,
    source: config.source,
    bus: config.bus!.stream,
  });
  const onPass = (s: FollowStats) => {
    Object.assign(metrics.ingest, {
      lines: s.lines,
      rows: s.rows,
      rejected: s.rejected,
      reasons: { ...s.reasons },
      skipped: s.skipped,
      pending: s.pending,
      batches: s.batches,
      retries: s.retries + edge.stats.retries,
      behind: { ...s.behind },
      lastCommitAt: s.lastCommitAt,
    });
  };
  try {
    const w = edge.writer;
    if (config.source === "dnstap" && !(await isDnstapFileTarget(config.dnstap!))) {
      await listenDnstap(w, { path: config.dnstap!, log, signal });
    } else if (config.source === "dnstap") {
      const assembler = new DnstapAssembler({ nodeId: 0, clock: createZoneClock(w.tz) });
      await follow(w, {
        source: () => dnstapFileSource(w, { log, assembler, batchFrames: batchRows }),
        paths: [config.dnstap!],
        pollMs: config.pollMs,
        log,
        signal,
        onPass,
      });
    } else {
      await follow(w, {
        source: () => queryLogSource(w, { batchRows }),
        paths: [config.queryLog, config.errorLog],
        pollMs: config.pollMs,
        log,
        signal,
        onPass,
      });
    }
  } catch (error) {
    // Stopped while the bus was away: what was not published is read again at the next start.
    if (!(signal.aborted && error instanceof BusUnavailableError)) throw error;
    log.warn("stopped while the bus was unavailable", { hint: "unpublished lines are read again" });
  } finally {
    clearInterval(summary);
    stopHttp.abort();
    await http?.finished;
    await edge.close();
  }
  log.info("serve stopped", { job: "serve", mode: "edge", ...edge.stats });
}

/** `/metrics` and `/healthz` of an edge (the bearer token as for the full HTTP server). */
function edgeHttp(
  req: Request,
  config: Readonly<Config>,
  metrics: MetricsRecorder,
  stats: PublishStats,
): Response {
  if (config.httpToken !== null) {
    if (req.headers.get("authorization") !== `Bearer ${config.httpToken}`) {
      return new Response("unauthorized\n", { status: 401 });
    }
  }
  const path = new URL(req.url).pathname;
  if (path === "/healthz") {
    const ok = stats.unavailableSince === null;
    return new Response(ok ? "ok\n" : "bus unavailable\n", { status: ok ? 200 : 503 });
  }
  if (path !== "/metrics") {
    return new Response("not found (an edge serves /metrics)\n", { status: 404 });
  }
  const text = formatExposition([
    ...recorderFamilies(metrics, { node: config.node }),
    ...publishFamilies(stats, config.node),
  ]);
  return new Response(text, { headers: { "content-type": "text/plain; version=0.0.4" } });
}

/** The edge's bus metrics. */
export function publishFamilies(s: PublishStats, node: string): MetricFamily[] {
  const labels = { node };
  return [
    {
      name: "dnsa_bus_published_batches_total",
      help: "Batches published to the bus and acknowledged since start.",
      type: "counter",
      samples: [{ labels, value: s.batches }],
    },
    {
      name: "dnsa_bus_published_rows_total",
      help: "Query rows published to the bus since start.",
      type: "counter",
      samples: [{ labels, value: s.rows }],
    },
    {
      name: "dnsa_bus_publish_duplicates_total",
      help: "Re-published batches the stream already had (dropped by its de-duplication).",
      type: "counter",
      samples: [{ labels, value: s.duplicates }],
    },
    {
      name: "dnsa_bus_publish_retries_total",
      help: "Publishes retried while the bus was unreachable.",
      type: "counter",
      samples: [{ labels, value: s.retries }],
    },
    {
      name: "dnsa_bus_publish_lag_seconds",
      help: "From the newest line of the last published batch to the bus's acknowledgement.",
      type: "gauge",
      samples: [{ labels, value: s.lagSeconds }],
    },
    {
      name: "dnsa_bus_unavailable",
      help: "1 while publishing fails (reading is paused; the log files hold the backlog).",
      type: "gauge",
      samples: [{ labels, value: s.unavailableSince === null ? 0 : 1 }],
    },
  ];
}
