/**
 * The write end of a rollup window: rows taken from a statistics table and not yet written
 * ({@linkcode PendingWrite}), as plain data: COPY data on PostgreSQL, JSON rows on the embedded
 * database. Being data, not a closure, a batch can be built on the rollup's reading thread
 * (lib/rollup/read_worker.ts) and written on the window's transaction by the main thread,
 * where a {@linkcode BatchWriter} writes the batches in order while the window is read.
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";
import { copyIn } from "../db/copy.ts";

/** One table's rows, ready to write. */
export type PendingWrite =
  & { table: string; columns: readonly string[]; rows: number }
  & (
    | { format: "binary" | "text"; data: Uint8Array }
    | { format: "json"; data: string }
  );

/** Write `p` on `tx`: COPY FROM STDIN, or `json_populate_recordset` for JSON rows. */
export async function writePending(tx: Tx, p: PendingWrite): Promise<void> {
  if (p.format !== "json") {
    await copyIn(tx, p.table, p.columns, [p.data], p.format);
    return;
  }
  const columns = p.columns.join(", ");
  await tx.unsafe(
    `insert into ${p.table} (${columns}) select ${columns} ` +
      `from json_populate_recordset(null::${p.table}, $1::text::json)`,
    [p.data],
  );
}

/** The buffers of `writes`, to transfer with them to another thread. */
export function transferList(writes: readonly PendingWrite[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const p of writes) {
    if (p.format !== "json" && p.data.buffer instanceof ArrayBuffer) out.push(p.data.buffer);
  }
  return out;
}

/**
 * Statistics rows per batch handed to the writer, unless the window says otherwise: each
 * batch costs a COPY per table, so fewer, larger batches keep the writer busier.
 */
export const BATCH_ROWS = 80_000;

/** Batches of rows handed to the writer and not yet written before counting waits. */
export const MAX_QUEUED = 3;

/**
 * Hands batches of rows to the writer; its promise, when it returns one, pauses the reading
 * until the batch is taken.
 */
export type Emit = (writes: PendingWrite[]) => Promise<void> | void;

/**
 * Writes batches on the window's transaction, in order, each once the one before it is
 * written; a failed write fails every batch behind it.
 */
export class BatchWriter {
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  constructor(readonly tx: Tx) {}

  /** Batches handed over and not yet written. */
  get queued(): number {
    return this.#queued;
  }

  /** Queue `writes`; resolves once they are written. */
  push(writes: readonly PendingWrite[]): Promise<void> {
    this.#queued++;
    const next = this.#chain.then(async () => {
      for (const p of writes) await writePending(this.tx, p);
    }).finally(() => this.#queued--);
    this.#chain = next;
    return next;
  }

  /** An {@linkcode Emit} writing here: it pauses the reading while too many batches wait. */
  emitter(): Emit {
    return (writes) => {
      const done = this.push(writes);
      done.catch(() => {}); // the chain reports it
      if (this.#queued >= MAX_QUEUED) return done;
    };
  }

  /** Resolves when everything handed over is written; rejects with the first failure. */
  drain(): Promise<void> {
    return this.#chain;
  }
}
