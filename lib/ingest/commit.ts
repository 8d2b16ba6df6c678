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
import { isTransientDbError } from "../db/connect.ts";
import { copyIn } from "../db/copy.ts";
import { INGEST_SQL } from "../db/statements.ts";
import { backoffMs } from "../backoff.ts";
import { lockCheckpoint, putCheckpoint } from "../tail/checkpoint.ts";
import { dayString } from "../time.ts";
import type { BatchData } from "./batch.ts";
import { COPY_COLUMNS } from "./row_sink.ts";
import { settleQueryErrors } from "./error_matcher.ts";
import { replaceSeedRows } from "../seed/replace.ts";

/** Two processes wrote the same file at once with different batch boundaries. */
export class CheckpointConflictError extends Error {
  override name = "CheckpointConflictError";
}

/** Shared state of a writer: which partitions are known to exist. */
export interface WriterContext {
  sql: Sql;
  nodeId: number;
  tz: string;
  knownDays: Set<number>;
  /** The server takes COPY FROM STDIN (PostgreSQL); false for the embedded database. */
  copy?: boolean;
  /** Called before each retry after a transient failure. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Called after each batch that committed, with the seconds its transaction took. */
  onCommit?: (info: { seconds: number; rows: number }) => void;
  /** Give up after this long of failures (ms). Default 5 min. */
  retryForMs?: number;
  signal?: AbortSignal;
}

const PARTITION_LOCK = 4_243_120_002;
const NODE_WRITE_LOCK = 424_312; // with the node_id as second key

/** Make sure the day partitions of `days` exist. */
export async function ensurePartitions(ctx: WriterContext, days: Iterable<number>) {
  const missing = [...days].filter((d) => !ctx.knownDays.has(d));
  if (missing.length === 0) return;
  await ctx.sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
    for (const d of missing) {
      await tx.unsafe(INGEST_SQL.ensurePartition, [dayString(d), ctx.tz]);
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
  options: { after?: Promise<unknown>; settle?: SettleStep } = {},
): Promise<CommitOutcome> {
  const settle = options.settle ?? settleQueryErrors;
  const started = Date.now();
  for (let attempt = 1;; attempt++) {
    try {
      await ensurePartitions(ctx, batch.days);
      const t0 = performance.now();
      const outcome = await ctx.sql.begin((tx) =>
        writeBatch(tx, ctx, batch, { after: options.after, settle })
      );
      ctx.onCommit?.({ seconds: (performance.now() - t0) / 1000, rows: batch.counts.rows });
      return outcome;
    } catch (error) {
      if (error instanceof AlreadyCommitted) return "already-committed";
      if (!isTransientDbError(error) || ctx.signal?.aborted) throw error;
      if (Date.now() - started > (ctx.retryForMs ?? 300_000)) throw error;
      const delayMs = backoffMs(attempt - 1);
      ctx.onRetry?.({ attempt, delayMs, error });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

async function writeBatch(
  tx: Tx,
  ctx: WriterContext,
  batch: BatchData,
  step: { after: Promise<unknown> | undefined; settle: SettleStep },
): Promise<CommitOutcome> {
  const src = batch.source;
  // The batch's COMMIT need not wait for its WAL to reach the disk: if the server crashes
  // before it does, the rows and the checkpoint are lost together and are read again from
  // the log file. Exactly-once holds; only the wait per batch goes.
  await tx`set local synchronous_commit = off`;
  // The rows go first, before the node's lock: the previous batch may still be committing
  // on another connection, and both COPYs then run at once. Everything after the lock sees
  // that batch's outcome; if the checkpoint does not continue it, this transaction rolls
  // back its rows.
  if (batch.counts.rows > 0) {
    const rows = batch.rows;
    if ("blocks" in rows) {
      await copyIn(tx, copyTarget(batch.days), batch.rowColumns ?? COPY_COLUMNS, rows.blocks);
    } else await insertRowsUnnest(tx, rows.columns);
  }
  if (step.after) await step.after.catch(() => {});
  await tx`select pg_advisory_xact_lock(${NODE_WRITE_LOCK}, ${ctx.nodeId})`;
  const current = await lockCheckpoint(tx, { nodeId: ctx.nodeId, fingerprint: src.fingerprint });
  if (current >= batch.endOffset && batch.endOffset > src.startOffset) {
    throw new AlreadyCommitted();
  }
  if (current !== src.startOffset) {
    throw new CheckpointConflictError(
      `${src.path} is at byte ${current} in the database, but this batch starts at ` +
        `${src.startOffset}: the batch before it did not commit, or another dns-analytics ` +
        "process is reading the same file for this node (run one ingest per node at a time).",
    );
  }
  // Rows read from BIND replace the seed ingestor's rows of the same span (lib/seed/).
  if (batch.counts.rows > 0) {
    await replaceSeedRows(tx, ctx.nodeId, { fromMs: batch.minAt, toMs: batch.maxAt });
  }
  if (batch.rejects.length > 0) await insertRejects(tx, ctx.nodeId, batch);
  const settled = await step.settle(tx, batch, ctx.nodeId);
  batch.settledRows = settled.rows;
  if (settled.dirty) {
    await tx.unsafe(INGEST_SQL.markDirty, [
      ctx.nodeId,
      new Date(settled.dirty.from),
      new Date(settled.dirty.to),
      ctx.tz,
    ]);
  }
  await putCheckpoint(tx, {
    nodeId: ctx.nodeId,
    fingerprint: src.fingerprint,
    path: src.path,
    offset: batch.endOffset,
    counts: { ...batch.counts, rows: batch.counts.rows + settled.rows },
    lastLineAt: batch.lastLineAt,
  });
  return "committed";
}

/**
 * The table a batch's COPY goes to: the day's partition itself when all rows are of one day
 * (nearly every batch), which spares the server routing each row; dns_queries otherwise.
 * Partition names are those dnsa_ensure_day_partition gives.
 */
function copyTarget(days: Iterable<number>): string {
  const all = [...days];
  return all.length === 1 ? `dns_queries_p${dayString(all[0]).replaceAll("-", "")}` : "dns_queries";
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
