/**
 * Committing a batch: its rows (COPY), its reject samples, its source's settle step (the
 * query log's error-line join, dnstap's query/response pairing) and its checkpoint, in one
 * transaction. A crash before COMMIT leaves nothing; after it,
 * everything. When the connection drops around COMMIT the outcome is unknown, so every
 * attempt first reads the checkpoint back: if it already covers the batch, the earlier
 * attempt landed and nothing is written again.
 *
 * @module
 */
import type { Sql, Tx } from "../db/connect.ts";
import { classifyFault } from "../db/connect.ts";
import { acceptsWrites } from "../db/read_only.ts";
import type { FaultReporter } from "../fault.ts";
import { sleep } from "../sleep.ts";
import { copyIn } from "../db/copy.ts";
import { INGEST_SQL } from "../db/statements.ts";
import { backoffMs } from "../backoff.ts";
import {
  checkpointOffset,
  lockCheckpointStatement,
  putCheckpointStatement,
} from "../tail/checkpoint.ts";
import { dayString } from "../time.ts";
import type { BatchData } from "./batch.ts";
import { COPY_COLUMNS } from "./row_sink.ts";
import { BLOCK_COLUMNS, setBlockNode } from "./block_sink.ts";
import { settleQueryErrors } from "./error_matcher.ts";
import { replaceSeedRowsStatement } from "../seed/replace.ts";
import { pipelined, PREPARED } from "../db/pipeline.ts";
import type { PrivacyPolicy } from "../privacy/policy.ts";

/** Two processes wrote the same file at once with different batch boundaries. */
export class CheckpointConflictError extends Error {
  override name = "CheckpointConflictError";
}

/** Shared state of a writer: which partitions are known to exist. */
export interface WriterContext {
  sql: Sql;
  /** The node's id; not known yet while {@linkcode ready} is set. */
  nodeId: number;
  /**
   * Set while the database is still being prepared (migrations, the node's id): files are
   * read meanwhile (lib/tail/pipeline.ts), and every use of the database waits for it. It
   * clears itself once it has settled well; it rejects with what stopped the preparation.
   */
  ready?: Promise<void>;
  /** The node's name: where its files were read to is looked up by it while `ready` is set. */
  nodeName?: string;
  tz: string;
  knownDays: Set<number>;
  /**
   * The one partition that holds all of a known day, by day; null for a day whose rows lie
   * in partitions made under different zones (copied into dns_queries). A known day missing
   * here is copied into the partition of its name.
   */
  dayTables?: Map<number, string | null>;
  /** The server takes COPY FROM STDIN (PostgreSQL); false for the embedded database. */
  copy?: boolean;
  /** Called before each retry after a transient failure. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Called after each batch that committed, with the seconds its transaction took. */
  onCommit?: (info: { seconds: number; rows: number }) => void;
  /** Give up after this long of failures (ms). Default 5 min. */
  retryForMs?: number;
  /**
   * Retry every fault the policy pauses on (lib/fault.ts), not only a lost connection: a
   * long-running reader (serve) waits out a full disk, a read-only server, a missing table.
   */
  pauseOnFaults?: boolean;
  /** Told of each failed attempt and of the first one that works after it. */
  faults?: FaultReporter;
  /**
   * The source is a socket (no replay): each batch is durable when its COMMIT returns
   * (synchronous_commit on), and its checkpoint counts frames, so a database checkpoint that
   * differs from the batch's start is continued from rather than a conflict.
   */
  socket?: boolean;
  /**
   * Set once a batch met a read-only session: from then on each commit reads whether the
   * database takes writes (see {@linkcode commitBatch}).
   */
  readOnlySeen?: boolean;
  signal?: AbortSignal;
  /** What is stored of clients and names (lib/privacy/); absent = everything. */
  privacy?: PrivacyPolicy;
  /**
   * Where batches go instead of this database (an edge publishing to the bus, lib/bus/):
   * it keeps the checkpoints and takes every commit.
   */
  store?: BatchStore;
}

/** A place batches commit to other than the database, with its own checkpoints. */
export interface BatchStore {
  /** Where the file `fingerprint` was read to; null when it never was. */
  peek(fingerprint: string): Promise<number | null>;
  /** Commit `batch` (its checkpoint advances with it); the options as commitBatch's. */
  commit(
    batch: BatchData,
    options: { after?: Promise<unknown>; settle?: SettleStep },
  ): Promise<CommitOutcome>;
}

const PARTITION_LOCK = 4_243_120_002;
/** The session's table a batch's rows are written to before they are packed into blocks. */
const BATCH_ROWS = "dnsa_batch_rows";
const NODE_WRITE_LOCK = 424_312; // with the node_id as second key

/**
 * Make sure partitions cover every day of `days` in the writer's zone (partitions made under
 * another zone are kept; the parts of a day they leave uncovered get partitions of their own).
 */
export async function ensurePartitions(
  ctx: WriterContext,
  days: Iterable<number>,
  options: { readWrite?: boolean } = {},
) {
  const missing = [...days].filter((d) => !ctx.knownDays.has(d));
  if (missing.length === 0) return;
  const tables = ctx.dayTables ??= new Map();
  await begin(ctx.sql, options.readWrite, async (tx) => {
    await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
    for (const d of missing) {
      const [r] = await tx.unsafe<{ part: string | null }[]>(
        INGEST_SQL.ensurePartition,
        [dayString(d), ctx.tz],
      );
      tables.set(d, r?.part ?? null);
    }
  });
  for (const d of missing) ctx.knownDays.add(d);
}

/** What a source's settle step did in a batch's transaction. */
export interface Settled {
  /** Rows it added beyond the batch's own (dnstap queries that will never be answered). */
  rows: number;
  /** The span of time (epoch ms) whose rows changed and must be rolled up again, or null. */
  dirty: { from: number; to: number } | null;
}

/**
 * A source's part of a commit: the joins its batch needs, run in the batch's transaction
 * after the rows are in and the checkpoint is locked (so the batch before has committed).
 */
export type SettleStep = (tx: Tx, batch: BatchData, nodeId: number) => Promise<Settled>;

/** What {@linkcode commitBatch} did. */
export type CommitOutcome = "committed" | "already-committed";

/** Thrown inside the transaction to roll back rows of a batch that had already landed. */
class AlreadyCommitted extends Error {}

/**
 * Commit `batch`, retrying transient failures with bounded backoff and jitter. `after` is the
 * commit of the batch before it when that one is still running: this batch's rows are sent
 * meanwhile, but its checkpoint step waits for it. `settle` is the source's step (default:
 * the query log's, {@linkcode settleQueryErrors}).
 */
export async function commitBatch(
  ctx: WriterContext,
  batch: BatchData,
  options: {
    after?: Promise<unknown>;
    settle?: SettleStep;
    /** A socket's batch continued the database's count, `shift` frames on (see `socket`). */
    onRebase?: (shift: number) => void;
  } = {},
): Promise<CommitOutcome> {
  if (ctx.store) return await ctx.store.commit(batch, options);
  if (ctx.ready) await ctx.ready;
  const settle = options.settle ?? settleQueryErrors;
  const started = Date.now();
  // After a read-only fault, sessions opened meanwhile still carry the read-only default of
  // their start (for as long as the pool keeps them); while the catalog says writes are
  // taken, transactions say READ WRITE. Before any such fault, nothing is read.
  let readWrite = ctx.readOnlySeen ? await acceptsWrites(ctx.sql) : false;
  for (let attempt = 1;; attempt++) {
    const moved = { shift: 0 };
    try {
      await ensurePartitions(ctx, batch.days, { readWrite });
      const t0 = performance.now();
      const outcome = await beginWatched(
        ctx.sql,
        readWrite,
        (tx, gone) => writeBatch(tx, ctx, batch, { after: options.after, settle, moved, gone }),
      );
      ctx.onCommit?.({ seconds: (performance.now() - t0) / 1000, rows: batch.counts.rows });
      ctx.faults?.resume();
      if (moved.shift !== 0) options.onRebase?.(moved.shift);
      return outcome;
    } catch (error) {
      if (error instanceof AlreadyCommitted) {
        ctx.faults?.resume();
        return "already-committed";
      }
      const fault = classifyFault(error);
      // A partition may have gone (retention, a restore): look the days up again.
      ctx.knownDays.clear();
      ctx.dayTables?.clear();
      if (fault.kind === "fatal" || ctx.signal?.aborted) throw error;
      // Another process moved this file's checkpoint: the caller reads it again.
      if (error instanceof CheckpointConflictError) throw error;
      if (!fault.transient && !ctx.pauseOnFaults) throw error;
      if (Date.now() - started > (ctx.retryForMs ?? 300_000)) throw error;
      const delayMs = backoffMs(attempt + 1);
      ctx.faults?.pause(fault, delayMs);
      ctx.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, ctx.signal);
      // Whatever the fault was reported as, a session may be left read-only from its start.
      if (fault.reason === "read_only") ctx.readOnlySeen = true;
      if (!fault.transient) readWrite = await acceptsWrites(ctx.sql);
    }
  }
}

/** A transaction, READ WRITE when `readWrite` (see {@linkcode commitBatch}). */
export function begin<T>(sql: Sql, readWrite: boolean | undefined, fn: (tx: Tx) => Promise<T>) {
  return (readWrite ? sql.begin("read write", fn) : sql.begin(fn)) as Promise<T>;
}

/**
 * {@linkcode begin}, telling `fn` whether postgres.js has given the transaction up. When the
 * connection closes, `sql.begin` rejects at once but the callback runs on, and what it issues
 * next, its final ROLLBACK or COMMIT included, is written to that connection object: while it
 * is closed, the write leaves the object unable to send its next start-up message (every
 * later connect on it times out); once it is open again, the statements land in its next
 * session, possibly another batch's transaction, which a stray COMMIT or ROLLBACK ends
 * half-way (rows stored twice, or a checkpoint without its rows). So a callback that waited
 * for something else than the database (the batch before it) looks at `gone()` before its
 * next statement, and a callback whose connection is gone never ends: postgres.js then sends
 * neither ROLLBACK nor COMMIT for it. `sql.begin` rejects with the lost connection all the
 * same, and the batch is retried on another connection.
 */
function beginWatched<T>(
  sql: Sql,
  readWrite: boolean | undefined,
  fn: (tx: Tx, gone: () => boolean) => Promise<T>,
): Promise<T> {
  let settled = false;
  const gone = () => settled;
  const p = begin(sql, readWrite, (tx) =>
    fn(tx, gone).then(
      (value) => settled ? abandoned() : value,
      (error) => {
        if (settled || connectionEnded(error)) return abandoned();
        throw error;
      },
    ));
  p.then(() => settled = true, () => settled = true);
  return p;
}

/**
 * `error` ends the connection it came on: lost, or its server session terminated. A server's
 * ERROR of the connection class leaves its session open (08P01: COPY data it could not read,
 * sent mid-stream): that transaction is rolled back like any other failed one, not abandoned
 * (an abandoned callback never settles, and nothing else would end its transaction).
 */
function connectionEnded(error: unknown): boolean {
  const fault = classifyFault(error);
  if (fault.code === "57P01" || fault.code === "57P02") return true;
  if (fault.reason !== "connection_lost") return false;
  return (error as { severity?: unknown })?.severity !== "ERROR";
}

/**
 * The end of a transaction callback whose transaction is gone (see
 * {@linkcode beginWatched}): it never settles, so postgres.js sends neither COMMIT nor
 * ROLLBACK for it; nothing refers to it, and it is collected with the callback.
 */
function abandoned(): Promise<never> {
  return new Promise<never>(() => {});
}

async function writeBatch(
  tx: Tx,
  ctx: WriterContext,
  batch: BatchData,
  step: {
    after: Promise<unknown> | undefined;
    settle: SettleStep;
    moved: { shift: number };
    gone: () => boolean;
  },
): Promise<CommitOutcome> {
  const src = batch.source;
  // A file's batch need not wait for its WAL to reach the disk: if the server crashes
  // before it does, the rows and the checkpoint are lost together and are read again from
  // the log file. Exactly-once holds; only the wait per batch goes. A socket cannot be read
  // again: its batch counts as stored only once it is on disk.
  // Statements that do not wait for the answer of the one before go together (`pipelined`):
  // each round trip waits for this thread, which parses the next batch meanwhile.
  // The rows go first, before the node's lock: the previous batch may still be committing
  // on another connection, and both COPYs then run at once. Everything after the lock sees
  // that batch's outcome; if the checkpoint does not continue it, this transaction rolls
  // back its rows.
  // The rows go to this session's batch table and from there into blocks
  // (dns_query_blocks, migration 0027) before the lock: packing them is the heavy part.
  await pipelined([
    ctx.socket ? null : tx`set local synchronous_commit = off`,
    tx.unsafe(INGEST_SQL.batchRowsCreate),
  ]);
  if (batch.counts.rows > 0) {
    const rows = batch.rows;
    if ("blocks" in rows && batch.rowColumns === BLOCK_COLUMNS) {
      // The batch may have been read before the node's id was known (see `ready`).
      setBlockNode(rows.blocks, ctx.nodeId);
      await copyIn(tx, blockTarget(batch.days, ctx.dayTables), BLOCK_COLUMNS, rows.blocks);
    } else {
      if ("blocks" in rows) {
        await copyIn(tx, BATCH_ROWS, batch.rowColumns ?? COPY_COLUMNS, rows.blocks);
      } else await insertRowsUnnest(tx, rows.columns);
      await tx.unsafe(INGEST_SQL.packRows, [BATCH_ROWS, null]);
    }
  }
  if (step.after) {
    await step.after.catch(() => {});
    // The connection may have closed meanwhile; the commit is retried on another one.
    if (step.gone()) return await abandoned();
  }
  const [, checkpoint] = await pipelined([
    tx`select pg_advisory_xact_lock(${NODE_WRITE_LOCK}, ${ctx.nodeId})`,
    lockCheckpointStatement(tx, { nodeId: ctx.nodeId, fingerprint: src.fingerprint }),
  ]);
  const current = checkpointOffset(checkpoint);
  if (current >= batch.endOffset && batch.endOffset > src.startOffset) {
    throw new AlreadyCommitted();
  }
  if (current !== src.startOffset && ctx.socket) {
    // Frames have no position to read again: they continue the count the database has.
    step.moved.shift = current - src.startOffset;
  } else if (current !== src.startOffset) {
    throw new CheckpointConflictError(
      `${src.path} is at byte ${current} in the database, but this batch starts at ` +
        `${src.startOffset}: the batch before it did not commit, or another dns-analytics ` +
        "process is reading the same file for this node (run one ingest per node at a time).",
    );
  }
  // Rows read from BIND replace the seed ingestor's rows of the same span (lib/seed/).
  if (batch.rejects.length > 0) await insertRejects(tx, ctx.nodeId, batch);
  const seed = batch.counts.rows > 0
    ? replaceSeedRowsStatement(tx, ctx.nodeId, { fromMs: batch.minAt, toMs: batch.maxAt })
    : null;
  // Sent before the settle step's own statements (see `pipelined`); the first to fail rejects.
  seed?.execute();
  const [settled] = await Promise.all([step.settle(tx, batch, ctx.nodeId), seed]);
  batch.settledRows = settled.rows;
  // What the settle step added (dnstap's unanswered queries), and the node's rows staged by
  // others (an INSERT into the view, the seed's rows taken out of their blocks).
  const dirty = settled.dirty;
  await pipelined([
    settled.rows > 0 ? tx.unsafe(INGEST_SQL.packRows, [BATCH_ROWS, null], PREPARED) : null,
    tx.unsafe(INGEST_SQL.packRows, ["dns_query_staged", ctx.nodeId], PREPARED),
    dirty === null ? null : tx.unsafe(INGEST_SQL.markDirty, [
      ctx.nodeId,
      new Date(dirty.from),
      new Date(dirty.to),
      ctx.tz,
    ], PREPARED),
    putCheckpointStatement(tx, {
      nodeId: ctx.nodeId,
      fingerprint: src.fingerprint,
      path: src.path,
      offset: batch.endOffset + step.moved.shift,
      counts: { ...batch.counts, rows: batch.counts.rows + settled.rows },
      lastLineAt: batch.lastLineAt,
    }),
  ]);
  return "committed";
}

/**
 * The table a batch's blocks go to: the blocks partition of the day itself when all rows are
 * of one day and one partition holds that whole day (the server routes no row);
 * dns_query_blocks otherwise.
 */
function blockTarget(
  days: Iterable<number>,
  tables: Map<number, string | null> | undefined,
): string {
  const all = [...days];
  if (all.length !== 1) return "dns_query_blocks";
  const known = tables?.get(all[0]);
  const part = known === undefined
    ? `dns_queries_p${dayString(all[0]).replaceAll("-", "")}`
    : known;
  return part === null ? "dns_query_blocks" : `dns_query_blocks_p${part.slice(13)}`;
}

/** Insert the rows with `unnest`, at most 25 000 per statement. */
async function insertRowsUnnest(tx: Tx, columns: (string | null)[][]): Promise<void> {
  const step = 25_000;
  const text = columns.length === COPY_COLUMNS.length
    ? INGEST_SQL.insertRowsUnnest
    : INGEST_SQL.insertDnstapUnnest;
  for (let i = 0; i < columns[0].length; i += step) {
    await tx.unsafe(text, columns.map((c) => c.slice(i, i + step)));
  }
}

async function insertRejects(tx: Tx, nodeId: number, batch: BatchData): Promise<void> {
  const r = batch.rejects;
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  await tx.unsafe(INGEST_SQL.insertRejects, [
    nodeId,
    batch.source.path,
    batch.source.fingerprint,
    r.map((x) => x.byteOffset),
    r.map((x) => x.reason),
    r.map((x) => x.length),
    r.map((x) => hex(x.sample)),
  ]);
}
