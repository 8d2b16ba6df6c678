/**
 * An edge's commit: a batch is published to the bus under the id of the stretch of file it
 * covers (bus.ts), and the edge's local checkpoint (local_checkpoint.ts) advances only once
 * the bus has acknowledged it. A crash between the two re-publishes the same stretch, with
 * the same id, which the stream drops (and `consume` would skip). Publishes go out one at a
 * time in file order, so the last message of a node in the stream is the one a crash may have
 * left unrecorded ({@linkcode recoverLastPublished}). While the bus is unreachable (or refuses
 * the batch) the same publish is retried with backoff and reading pauses: the log files are
 * the queue.
 *
 * @module
 */
import { backoffMs } from "../backoff.ts";
import type { BatchData } from "../ingest/batch.ts";
import { type BatchStore, CheckpointConflictError, type CommitOutcome } from "../ingest/commit.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../sleep.ts";
import { encodeBatch } from "./batch_codec.ts";
import { batchMessageId, type Bus, BusUnavailableError } from "./bus.ts";
import type { LocalCheckpoints } from "./local_checkpoint.ts";

/** What an edge has published, for its summary and /metrics. */
export interface PublishStats {
  batches: number;
  /** Re-published batches the stream already had (after a crash or a lost acknowledgement). */
  duplicates: number;
  rows: number;
  bytes: number;
  /** Publishes retried while the bus was unreachable. */
  retries: number;
  /** Since when (epoch ms) publishing has been failing; null while it works. */
  unavailableSince: number | null;
  lastPublishAt: number | null;
  /** Seconds from the newest line of the last published batch to its acknowledgement. */
  lagSeconds: number;
}

/** Zeroed {@linkcode PublishStats}. */
export function zeroPublishStats(): PublishStats {
  return {
    batches: 0,
    duplicates: 0,
    rows: 0,
    bytes: 0,
    retries: 0,
    unavailableSince: null,
    lastPublishAt: null,
    lagSeconds: 0,
  };
}

/** Options of {@linkcode EdgeStore}. */
export interface EdgeStoreOptions {
  node: string;
  log: Logger;
  signal?: AbortSignal;
  stats?: PublishStats;
}

/** The BatchStore of an edge: publish, then record the checkpoint. */
export class EdgeStore implements BatchStore {
  readonly stats: PublishStats;
  #bus: Bus;
  #checkpoints: LocalCheckpoints;
  #options: EdgeStoreOptions;
  /** The publish before the next one: publishes go out strictly one after another. */
  #last: Promise<unknown> = Promise.resolve();

  constructor(bus: Bus, checkpoints: LocalCheckpoints, options: EdgeStoreOptions) {
    this.#bus = bus;
    this.#checkpoints = checkpoints;
    this.#options = options;
    this.stats = options.stats ?? zeroPublishStats();
  }

  peek(fingerprint: string): Promise<number | null> {
    return Promise.resolve(this.#checkpoints.get(fingerprint));
  }

  commit(batch: BatchData, options: { after?: Promise<unknown> }): Promise<CommitOutcome> {
    const data = encodeBatch(batch, this.#options.node);
    const previous = Promise.all([this.#last, options.after]).catch(() => {});
    const p = previous.then(() => this.#publish(batch, data));
    this.#last = p.catch(() => {});
    return p;
  }

  async #publish(batch: BatchData, data: Uint8Array): Promise<CommitOutcome> {
    const src = batch.source;
    const current = this.#checkpoints.get(src.fingerprint) ?? 0;
    if (current >= batch.endOffset && batch.endOffset > src.startOffset) {
      return "already-committed";
    }
    if (current !== src.startOffset) {
      throw new CheckpointConflictError(
        `${src.path} was published to byte ${current}, but this batch starts at ` +
          `${src.startOffset}: the batch before it was not published`,
      );
    }
    const headers = {
      node: this.#options.node,
      fingerprint: src.fingerprint,
      startOffset: src.startOffset,
      endOffset: batch.endOffset,
    };
    const msgId = batchMessageId(headers);
    const { log, signal } = this.#options;
    const s = this.stats;
    for (let attempt = 0;; attempt++) {
      try {
        const ack = await this.#bus.publish(data, { msgId, headers });
        await this.#checkpoints.put(src.fingerprint, { offset: batch.endOffset, path: src.path });
        if (s.unavailableSince !== null) {
          log.info("bus available again, publishing", {
            paused_s: Math.round((Date.now() - s.unavailableSince) / 1000),
          });
          s.unavailableSince = null;
        }
        const now = Date.now();
        s.lastPublishAt = now;
        if (batch.lastLineAt !== null) s.lagSeconds = Math.max(0, now - batch.lastLineAt) / 1000;
        if (ack.duplicate) {
          s.duplicates++;
          return "already-committed";
        }
        s.batches++;
        s.rows += batch.counts.rows;
        s.bytes += data.length;
        return "committed";
      } catch (error) {
        if (signal?.aborted) throw stopped(error);
        // Whatever failed, the message may be in the stream: the same bytes go again under
        // the same id (the stream drops a copy). Reading the file again instead would publish
        // a batch of other bounds that overlaps this one, which no consumer could store.
        s.retries++;
        s.unavailableSince ??= Date.now();
        const delayMs = backoffMs(attempt + 1);
        const unavailable = error instanceof BusUnavailableError;
        log.warn(
          unavailable ? "bus unavailable, publishing paused" : "bus refused a batch, retrying",
          {
            error: error instanceof Error ? error.message : String(error),
            retry_in_ms: delayMs,
            file: src.path,
          },
        );
        await sleep(delayMs, signal);
        if (signal?.aborted) throw stopped(error);
      }
    }
  }
}

/**
 * After a crash between a publish and its checkpoint write, the stream has the batch but the
 * local checkpoint does not: take the checkpoint from the node's last message in the stream.
 * Returns the file advanced, or null.
 */
export async function recoverLastPublished(
  bus: Bus,
  checkpoints: LocalCheckpoints,
  node: string,
): Promise<{ fingerprint: string; offset: number } | null> {
  const last = await bus.lastPublished(node);
  if (!last) return null;
  const local = checkpoints.get(last.fingerprint) ?? 0;
  if (local >= last.endOffset || local !== last.startOffset) return null;
  await checkpoints.put(last.fingerprint, { offset: last.endOffset, path: "(from the bus)" });
  return { fingerprint: last.fingerprint, offset: last.endOffset };
}

/** The error a publish ends with when the edge stops: what was not acknowledged is read again. */
function stopped(error: unknown): BusUnavailableError {
  if (error instanceof BusUnavailableError) return error;
  return new BusUnavailableError(
    `stopped before the bus took the batch: ${error instanceof Error ? error.message : error}`,
    { cause: error },
  );
}
