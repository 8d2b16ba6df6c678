/**
 * What a consumer does when storing a delivered batch fails ({@linkcode handleFailure}: skip
 * what another consumer stored, give back what must wait for its predecessor, retry what the
 * database or the bus refused for now), when a commit stalls ({@linkcode stallWatch}), and the
 * flush that makes commits durable before their messages are acknowledged
 * ({@linkcode durabilityBarrier}).
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { isTransientDbError } from "../db/connect.ts";
import { backoffMs } from "../backoff.ts";
import { errorText } from "../error_text.ts";
import { CheckpointConflictError } from "../ingest/commit.ts";
import type { Logger } from "../log.ts";
import { peekCheckpoint } from "../tail/checkpoint.ts";
import { BatchCodecError, decodeBatch } from "./batch_codec.ts";
import { BusUnavailableError, type Delivery } from "./bus.ts";
import type { ConsumeStats } from "./consumer.ts";

/** A commit that neither finished nor retried within `ms`; thrown by `stalled`. */
export class CommitStalledError extends Error {
  override name = "CommitStalledError";
}

/** `stalled` rejects after `ms` without `progress()`; `signal` aborts then; `end()` disarms. */
export function stallWatch(ms: number) {
  const abort = new AbortController();
  let reject!: (e: Error) => void;
  const stalled = new Promise<never>((_, r) => reject = r);
  stalled.catch(() => {});
  const fire = () => {
    abort.abort();
    reject(new CommitStalledError(`the batch's commit stalled for ${ms / 1000} s`));
  };
  let timer = setTimeout(fire, ms);
  return {
    signal: abort.signal,
    stalled,
    progress() {
      clearTimeout(timer);
      timer = setTimeout(fire, ms);
    },
    end: () => clearTimeout(timer),
  };
}

/**
 * A batch commits without waiting for its WAL to reach the disk (as `ingest` commits), but
 * its message is acknowledged only once it is there: a message acknowledged is never
 * delivered again, and a server crash loses commits not yet on disk. The returned function
 * resolves once everything committed before it was called is on disk: one small transaction
 * with synchronous commit that writes a WAL record (a transactional logical message, which
 * no table keeps), whose commit record follows those commits in the WAL, is flushed with
 * them. Callers that come while one runs share the next: one flush for many batches
 * instead of one per batch (the batches of a file no longer wait for each other's flush).
 */
export function durabilityBarrier(sql: Sql): () => Promise<void> {
  let next: Promise<void> | null = null;
  let running: Promise<void> = Promise.resolve();
  return () => {
    if (next) return next;
    const flush = running.then(async () => {
      next = null; // later callers committed after this flush began: they need the next one
      await sql.begin(async (tx) => {
        await tx`set local synchronous_commit = on`;
        // A record of its own in the WAL: PostgreSQL flushes at commit only for a transaction
        // that wrote one (a transaction id alone, txid_current(), writes none: its commit was
        // as asynchronous as the batches', and a crash lost batches already acknowledged).
        await tx`select pg_logical_emit_message(true, 'dns-analytics', 'flush')`;
      });
    });
    next = flush;
    running = flush.catch(() => {});
    return flush;
  };
}

/** Record, log and give back (or skip) a delivery whose commit failed with `error`. */
export async function handleFailure(
  d: Delivery,
  error: unknown,
  ctx: {
    sql: Sql;
    log: Logger;
    stats: ConsumeStats;
    nodes: Map<string, number>;
    durable: () => Promise<void>;
  },
): Promise<void> {
  const { log, stats } = ctx;
  // Another consumer stored this very message meanwhile (it was delivered twice).
  if ((error as { code?: string })?.code === "23505") {
    stats.skipped++;
    try {
      await ctx.durable();
      await d.ack();
    } catch {
      d.nak(1000); // comes again, and is skipped once that commit is known to be on disk
    }
    return;
  }
  if (error instanceof CheckpointConflictError) {
    stats.deferred++;
    // The batch before it in its file is not stored yet: another consumer has it, or it
    // waits for redelivery. Give this one back for a moment.
    const delayMs = Math.min(500, 100 * 2 ** Math.floor(d.redeliveries / 10));
    if (d.redeliveries >= 30 && d.redeliveries % 10 === 0) {
      const detail = await describeGap(ctx.sql, d, ctx.nodes).catch(() => null);
      log.warn("bus batch still waiting for the batch before it", {
        job: "consume",
        msg_id: d.id,
        deliveries: d.redeliveries + 1,
        ...detail,
        hint: "an earlier message of this file is missing from the stream (expired by max " +
          "age or bytes?) or overlaps it; see the README's bus section",
      });
    }
    d.nak(delayMs);
    return;
  }
  stats.errors++;
  if (error instanceof BatchCodecError) {
    log.error("bus batch not stored, given back", {
      job: "consume",
      msg_id: d.id,
      error: error.message,
      hint: "upgrade the edges and consumers to one version; the message waits in the stream",
    });
    d.nak(60_000);
    return;
  }
  const transient = isTransientDbError(error) || error instanceof BusUnavailableError ||
    error instanceof CommitStalledError;
  const fields = {
    job: "consume",
    msg_id: d.id,
    deliveries: d.redeliveries + 1,
    error: errorText(error),
  };
  // The database away before the commit began (a look-up): as the commit's own retries say.
  if (isTransientDbError(error)) log.warn("database unavailable, batch given back", fields);
  else log.error("bus batch not stored, given back", fields);
  d.nak(transient ? 1000 : backoffMs(d.redeliveries + 1));
}

async function describeGap(
  sql: Sql,
  d: Delivery,
  nodes: Map<string, number>,
): Promise<Record<string, unknown>> {
  const msg = decodeBatch(d.data);
  const nodeId = nodes.get(msg.node);
  if (nodeId === undefined) return {};
  const stored = await peekCheckpoint(sql, { nodeId, fingerprint: msg.source.fingerprint });
  return {
    file: msg.source.path,
    stored_to: stored ?? 0,
    batch_from: msg.source.startOffset,
    batch_to: msg.endOffset,
  };
}
