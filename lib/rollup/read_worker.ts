/**
 * The rollup's reading thread: reads a window from PostgreSQL and counts it
 * (lib/rollup/read_copy.ts), and hands the statistics rows to the main thread as binary
 * COPY batches (their buffers transferred, not copied). The main thread only writes them, so
 * its connection is served while this thread reads and counts: on one thread the reader's
 * stream, always ready, would starve the writer's socket.
 *
 * Messages in: `{ type: "read", options, window }` (one at a time), `{ type: "ack" }` after
 * each batch is written. Out: `ready` once loaded, `batch` (writes), `done` (the last writes
 * and the rows counted), `error` (message and code).
 *
 * @module
 */
import type { WindowSpec } from "./count_window.ts";
import { readWindowByCopy } from "./read_copy.ts";
import { openReader, type ReaderOptions } from "./read_session.ts";
import { MAX_QUEUED, type PendingWrite, transferList } from "./write_batches.ts";

/** What a worker's global scope offers here. */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/** Messages to the worker. */
export type ToWorker =
  | { type: "read"; options: ReaderOptions; window: WindowSpec }
  | { type: "ack" };

/** Messages from the worker. */
export type FromWorker =
  | { type: "ready" }
  | { type: "batch"; writes: PendingWrite[] }
  | { type: "done"; writes: PendingWrite[]; rows: number }
  | { type: "error"; message: string; code?: string };

const scope = globalThis as unknown as WorkerScope;
let unacked = 0;
let waiting: (() => void)[] = [];

function post(message: FromWorker): void {
  const writes = message.type === "batch" || message.type === "done" ? message.writes : [];
  scope.postMessage(message, transferList(writes));
}

async function read(options: ReaderOptions, w: WindowSpec): Promise<void> {
  const reader = openReader(options);
  try {
    const agg = await readWindowByCopy(
      reader,
      w,
      (writes) => {
        post({ type: "batch", writes });
        if (++unacked >= MAX_QUEUED) return new Promise<void>((r) => waiting.push(r));
      },
    );
    post({ type: "done", writes: agg.rows === 0 ? [] : agg.finish(), rows: agg.rows });
  } catch (error) {
    const e = error as { message?: string; code?: string };
    post({ type: "error", message: String(e?.message ?? error), code: e?.code });
  } finally {
    await reader.end().catch(() => {});
  }
}

scope.onmessage = (event: MessageEvent) => {
  const m = event.data as ToWorker;
  if (m.type === "ack") {
    unacked--;
    if (unacked < MAX_QUEUED) {
      const go = waiting;
      waiting = [];
      for (const resolve of go) resolve();
    }
  } else if (m.type === "read") {
    unacked = 0;
    waiting = [];
    read(m.options, { ...m.window }).catch(() => {});
  }
};
post({ type: "ready" });
