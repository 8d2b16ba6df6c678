/**
 * Runs the reading and counting of PostgreSQL windows on a worker thread
 * (lib/rollup/read_worker.ts) and writes the rows it hands back on the window's
 * transaction. One worker serves every window of a rollup; {@linkcode WindowReader.close}
 * ends it. Where no worker can run (its module missing from a binary compiled without it,
 * settings that cannot be sent to another thread: a password function), the same code reads
 * on the main thread instead, only slower.
 *
 * @module
 */
import type { Sql, Tx } from "../db/connect.ts";
import type { WindowSpec } from "./count_window.ts";
import { readWindowByCopy } from "./read_copy.ts";
import { openReader, type ReaderOptions, readerOptions } from "./read_session.ts";
import type { FromWorker, ToWorker } from "./read_worker.ts";
import { BatchWriter } from "./write_batches.ts";

/** The worker could not start; nothing was read. */
class WorkerUnavailable extends Error {}

/** Reads PostgreSQL windows for one rollup run. */
export class WindowReader {
  #worker: Worker | null = null;
  #started = false;
  #unavailable = false;
  readonly #options: ReaderOptions;
  readonly #cloneable: boolean;
  readonly #workerUrl: URL;
  /** Where the last window was read: on the worker thread (true) or the main thread. */
  lastOnWorker: boolean | null = null;

  /** `workerUrl`: the worker module (lib/rollup/read_worker.ts unless a test says otherwise). */
  constructor(sql: Sql, workerUrl?: URL) {
    this.#workerUrl = workerUrl ?? new URL("./read_worker.ts", import.meta.url);
    this.#options = readerOptions(sql);
    let cloneable = true;
    try {
      structuredClone(this.#options);
    } catch {
      cloneable = false;
    }
    this.#cloneable = cloneable;
  }

  /** Read window `w`, writing its statistics on `tx`; returns the rows counted. */
  async read(tx: Tx, w: WindowSpec): Promise<number> {
    if (this.#cloneable && !this.#unavailable && w.readerThread !== false) {
      try {
        const rows = await this.#inWorker(tx, w);
        this.lastOnWorker = true;
        return rows;
      } catch (error) {
        if (!(error instanceof WorkerUnavailable)) throw error;
        this.#unavailable = true;
      }
    }
    this.lastOnWorker = false;
    const writer = new BatchWriter(tx);
    const reader = openReader(this.#options);
    try {
      const agg = await readWindowByCopy(
        reader,
        w,
        writer.emitter(),
      );
      await writer.drain();
      if (agg.rows > 0) await writer.push(agg.finish());
      return agg.rows;
    } finally {
      await reader.end().catch(() => {});
    }
  }

  #inWorker(tx: Tx, w: WindowSpec): Promise<number> {
    const worker = this.#worker ??= new Worker(this.#workerUrl.href, { type: "module" });
    const writer = new BatchWriter(tx);
    return new Promise<number>((resolve, reject) => {
      const fail = (error: unknown) => {
        // The worker may still be reading: it goes, and the next window starts another.
        this.close();
        reject(error);
      };
      worker.onmessage = (event: MessageEvent) => {
        const m = event.data as FromWorker;
        if (m.type === "ready") this.#started = true;
        else if (m.type === "batch") {
          writer.push(m.writes).then(() => send(worker, { type: "ack" }), fail);
        } else if (m.type === "done") {
          writer.push(m.writes).then(() => resolve(m.rows), fail);
        } else if (m.type === "error") {
          fail(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
        }
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        fail(
          this.#started
            ? new Error(`rollup: the reading thread failed: ${event.message}`)
            : new WorkerUnavailable(event.message),
        );
      };
      send(worker, { type: "read", options: this.#options, window: w });
    });
  }

  /** End the worker (idempotent). */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#started = false;
  }
}

function send(worker: Worker, m: ToWorker): void {
  worker.postMessage(m);
}
