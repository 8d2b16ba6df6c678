/**
 * The central side of the bus: take batches from the durable consumer and store each one
 * through the same commit as `ingest` (lib/ingest/commit.ts) — rows, query-errors lines,
 * rejects, the settle step, the node's checkpoint of that file — in one transaction that
 * also records the message id in `dns_bus_applied`; acknowledge once the commit is on disk
 * (one flush for many batches, {@linkcode durabilityBarrier}).
 *
 * Exactly once, however often a message comes: a message whose id is recorded is skipped
 * (acknowledged without writing), and so is a batch the file's checkpoint already covers.
 * Batches of one file commit in file order (the checkpoint must continue): a batch whose
 * predecessor has not committed yet (another consumer holds it, or it awaits redelivery) is
 * given back with a short delay. Any number of processes may share the consumer.
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { nodeIdOf } from "../context.ts";
import { backoffMs } from "../backoff.ts";
import { settleDnstap } from "../dnstap/settle.ts";
import {
  CheckpointConflictError,
  commitBatch,
  type SettleStep,
  type WriterContext,
} from "../ingest/commit.ts";
import { settleQueryErrors } from "../ingest/error_matcher.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../sleep.ts";
import { peekCheckpoint } from "../tail/checkpoint.ts";
import { createZoneClock } from "../time.ts";
import appliedCheck from "../../sql/bus/applied_check.sql" with { type: "text" };
import appliedInsert from "../../sql/bus/applied_insert.sql" with { type: "text" };
import appliedPrune from "../../sql/bus/applied_prune.sql" with { type: "text" };
import { type BusBatch, decodeBatch, toCommitBatch } from "./batch_codec.ts";
import { type Bus, BusUnavailableError, type Delivery } from "./bus.ts";
import {
  CommitStalledError,
  durabilityBarrier,
  handleFailure,
  stallWatch,
} from "./consumer_faults.ts";

export { CommitStalledError, durabilityBarrier };

/** What a consumer did since start. */
export interface ConsumeStats {
  /** Messages received (redeliveries included). */
  messages: number;
  /** Batches stored. */
  batches: number;
  rows: number;
  /** Messages skipped: already stored. */
  skipped: number;
  /** Messages given back because the batch before them in their file was not stored yet. */
  deferred: number;
  /** Messages received that had been delivered before. */
  redeliveries: number;
  /** Messages that failed to store (given back; see the log). */
  errors: number;
  lastAppliedAt: number | null;
}

/** Options of {@linkcode consumeBus}. */
export interface ConsumeOptions {
  sql: Sql;
  /**
   * A new pool of the same database, used in place of the current one once a batch stalls:
   * connections of postgres.js 3.4 that meet a server starting up can wait forever, and the
   * queries queued behind them with them.
   */
  reconnect?: () => Sql;
  /** DNSA_LOG_TZ: the zone of days and hours (partitions, rollup). */
  tz: string;
  log: Logger;
  signal: AbortSignal;
  /** Batches committing at once in this process (default 4). */
  inflight?: number;
  /** Forget applied message ids older than this (ms; default 14 days, twice the stream's age). */
  appliedKeepMs?: number;
  /** Stop after this many idle fetches in a row (tests, benchmarks); default never. */
  stopWhenIdle?: number;
  onStats?: (s: ConsumeStats) => void;
}

const STREAM_WAIT_MS = 2000;
/**
 * A commit without an outcome and without a retry for this long has lost its connection
 * without noticing (a COPY whose socket went away can stay unsettled): the message is given
 * back for another try rather than hold its file's later batches forever.
 */
const STALL_MS = 60_000;
const WORKING_EVERY_MS = 10_000;

/** Store what the bus delivers until `options.signal` aborts. */
export async function consumeBus(bus: Bus, options: ConsumeOptions): Promise<ConsumeStats> {
  const { log, signal } = options;
  let sql = options.sql;
  const stats: ConsumeStats = {
    messages: 0,
    batches: 0,
    rows: 0,
    skipped: 0,
    deferred: 0,
    redeliveries: 0,
    errors: 0,
    lastAppliedAt: null,
  };
  const limit = options.inflight ?? 4;
  const nodes = new Map<string, number>();
  const clock = createZoneClock(options.tz);
  const knownDays = new Set<number>();
  /** The partition holding each known day (commit.ts), shared like `knownDays`. */
  const dayTables = new Map<number, string | null>();
  let durable = durabilityBarrier(sql);
  /** Use a new pool once a batch on the current one stalled (the old one is let go). */
  const renew = (stalled: Sql) => {
    if (!options.reconnect || stalled !== sql) return;
    log.warn("database connections stalled, opening new ones", { job: "consume" });
    sql = options.reconnect();
    durable = durabilityBarrier(sql);
    if (stalled !== options.sql) stalled.end({ timeout: 1 }).catch(() => {});
  };
  /** The last commit started per file in this process: the next one's checkpoint waits for it. */
  const chains = new Map<string, Promise<unknown>>();
  const running = new Set<Promise<void>>();
  let outage = 0, idle = 0, prunedAt = 0;

  /** The node's id here, registering it on its first batch (once, however many arrive). */
  const registering = new Map<string, Promise<number>>();
  const nodeIdFor = (name: string): Promise<number> => {
    let p = registering.get(name);
    if (!p) {
      // Two first batches at once: the second upsert may see neither its row nor the other's.
      p = nodeIdOf(sql, name).catch(() => nodeIdOf(sql, name)).then((id) => {
        if (typeof id !== "number") throw new Error(`node ${name} could not be registered`);
        nodes.set(name, id);
        return id;
      });
      p.catch(() => registering.delete(name));
      registering.set(name, p);
    }
    return p;
  };

  const apply = async (
    d: Delivery,
    msg: BusBatch,
    turn: { after?: Promise<unknown>; done: () => void },
  ): Promise<void> => {
    const keepAlive = setInterval(() => d.working(), WORKING_EVERY_MS);
    const watchdog = stallWatch(STALL_MS);
    const pool = sql;
    const store = async () => {
      const [seen] = await sql.unsafe(appliedCheck, [d.id]);
      if (seen) {
        stats.skipped++;
        await durable(); // the commit seen may not be on disk yet
        await d.ack();
        return;
      }
      const nodeId = await nodeIdFor(msg.node);
      // The batch before it is not being stored in this process: wait a moment for another
      // consumer to store it, then give this one back rather than send its rows and hold a
      // slot while that one may be waiting for a slot (after an outage, a whole backlog
      // arrives out of order).
      if (!turn.after && !(await awaitPredecessor(sql, nodeId, msg, signal, 500))) {
        throw new CheckpointConflictError("the batch before it is not stored yet");
      }
      const batch = toCommitBatch(msg, { nodeId, clock });
      const writer: WriterContext = {
        sql,
        nodeId,
        tz: options.tz,
        knownDays,
        dayTables,
        copy: true,
        retryForMs: Infinity, // a database outage pauses consuming; the stream holds the backlog
        signal: AbortSignal.any([signal, watchdog.signal]),
        onRetry: ({ attempt, delayMs, error }) => {
          watchdog.progress();
          log.warn("database unavailable, retrying batch", {
            job: "consume",
            attempt,
            delay_ms: Math.round(delayMs),
            error,
          });
        },
      };
      // The batch before it in its file may be committing in this process (turn.after) or in
      // another consumer. Its rows are sent meanwhile; the checkpoint step waits for both
      // (boundedly: a batch whose predecessor is still missing is given back, comes again).
      const after = (turn.after ?? Promise.resolve()).catch(() => {}).then(() =>
        awaitPredecessor(sql, nodeId, msg, signal)
      );
      // The commit awaits it (ignoring a failure: the checkpoint decides) once its rows are
      // sent; a lost connection may reject it before that, or while the commit waits to retry.
      after.catch(() => {});
      const settle = recordingApplied(msg.dnstap ? settleDnstap : settleQueryErrors, d.id);
      const outcome = await commitBatch(writer, batch, { after, settle });
      if (outcome === "committed") {
        stats.batches++;
        stats.rows += batch.counts.rows + (batch.settledRows ?? 0);
        stats.lastAppliedAt = Date.now();
      } else stats.skipped++;
      turn.done();
      // Acknowledged once on disk: a message given up is not delivered again.
      await durable();
      await d.ack();
    };
    try {
      // Every step under the watchdog: a look-up, the commit or the flush may meet a
      // connection that never answers.
      await Promise.race([store(), watchdog.stalled]);
    } catch (error) {
      turn.done();
      if (error instanceof CommitStalledError) renew(pool);
      await handleFailure(d, error, { sql, log, stats, nodes, durable });
    } finally {
      turn.done(); // also when skipped: the next batch of the file may go
      clearInterval(keepAlive);
      watchdog.end();
      options.onStats?.(stats);
    }
  };

  /** Start storing `d`; batches of one file in this process commit in the order received. */
  const dispatch = (d: Delivery): Promise<void> => {
    stats.messages++;
    if (d.redeliveries > 0) stats.redeliveries++;
    let msg: BusBatch;
    try {
      msg = decodeBatch(d.data);
    } catch (error) {
      stats.errors++;
      log.error("bus message is not a batch, given back", {
        job: "consume",
        msg_id: d.id,
        error: error instanceof Error ? error.message : String(error),
        hint: "a newer dns-analytics published it? upgrade the consumers",
      });
      d.nak(60_000);
      return Promise.resolve();
    }
    const key = `${msg.node}\n${msg.source.fingerprint}`;
    const after = chains.get(key);
    let done!: () => void;
    const turn = new Promise<void>((r) => done = r);
    chains.set(key, turn);
    turn.then(() => {
      if (chains.get(key) === turn) chains.delete(key);
    });
    return apply(d, msg, { after, done });
  };

  while (!signal.aborted) {
    if (running.size >= limit) {
      await Promise.race(running);
      continue;
    }
    let received: number;
    try {
      // Each message is stored as it arrives; the fetch ends at `max` or after the wait.
      received = await bus.fetch({
        max: limit - running.size,
        expiresMs: STREAM_WAIT_MS,
        each: (d) => {
          const p = dispatch(d);
          running.add(p);
          p.finally(() => running.delete(p));
        },
      });
      outage = 0;
    } catch (error) {
      if (!(error instanceof BusUnavailableError) || signal.aborted) throw error;
      const delayMs = backoffMs(++outage);
      log.warn("bus unavailable, consuming paused", { error: error.message, retry_in_ms: delayMs });
      await sleep(delayMs, signal);
      continue;
    }
    if (received === 0) {
      if (running.size > 0) await Promise.race(running);
      else if (options.stopWhenIdle !== undefined && ++idle >= options.stopWhenIdle) break;
      continue;
    }
    idle = 0;
    if (Date.now() - prunedAt > 600_000) {
      prunedAt = Date.now();
      const cutoff = new Date(Date.now() - (options.appliedKeepMs ?? 14 * 86_400_000));
      await sql.unsafe(appliedPrune, [cutoff]).catch((error) =>
        log.warn("dns_bus_applied not pruned", { error })
      );
    }
  }
  await Promise.allSettled([...running]);
  return stats;
}

/**
 * Wait (at most `boundMs`, 2 s by default: a commit in progress elsewhere ends sooner) until
 * the file's checkpoint reaches the batch's start; false if not. A predecessor that is not
 * being stored anywhere (it waits for redelivery) must not hold this batch's slot for long:
 * the process would fetch nothing else, that predecessor included.
 */
async function awaitPredecessor(
  sql: Sql,
  nodeId: number,
  msg: BusBatch,
  signal: AbortSignal,
  boundMs = 2000,
): Promise<boolean> {
  const key = { nodeId, fingerprint: msg.source.fingerprint };
  const until = Date.now() + boundMs;
  for (let wait = 5;; wait = Math.min(50, wait * 2)) {
    const stored = (await peekCheckpoint(sql, key)) ?? 0;
    if (stored >= msg.source.startOffset) return true;
    if (Date.now() > until || signal.aborted) return false;
    await sleep(wait, signal);
  }
}

/** The source's settle step, after recording the message id in the same transaction. */
function recordingApplied(settle: SettleStep, msgId: string): SettleStep {
  return async (tx, batch, nodeId) => {
    await tx.unsafe(appliedInsert, [msgId, nodeId]);
    return await settle(tx, batch, nodeId);
  };
}
