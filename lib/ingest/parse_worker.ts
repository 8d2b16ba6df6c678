/**
 * The query log's parsing thread: decodes the bytes of a file into batches
 * (lib/ingest/line_handler.ts) and hands each full batch to the main thread as a message
 * (its COPY data transferred, not copied). The main thread then only reads the file and
 * commits, so parsing and the COPY of earlier batches use different cores.
 *
 * Messages in (in order): `run` once, then per file `open`, `push` (a block of bytes,
 * transferred and handed back with `pushed`), `end` or `flush`; `recycle` gives back the COPY
 * buffers of batches committed. Out: `ready` once loaded,
 * `pushed`, `batch` (a full batch), `ended` (the last, partial batch and the pending bytes
 * of an unterminated last line), `error`. Every message of a file carries its `gen`, so the
 * main thread can tell the messages of a file it gave up on.
 *
 * @module
 */
import { Batch, type BatchMessage, batchTransfer } from "./batch.ts";
import { createRunState, LineReader, type RunState } from "./line_handler.ts";
import type { BatchCursor } from "../tail/source.ts";
import { recycleBlocks } from "../db/copy_blocks.ts";

/** Messages to the parsing thread. */
export type ToParser =
  | { type: "run"; tz: string; nodeId: number; samplesPerReason?: number }
  | {
    type: "open";
    gen: number;
    start: number;
    refWall: number;
    batchRows: number;
    /** A plain file's size, for the last batches' sizes (LineReader); Infinity = unknown. */
    taperEnd: number;
  }
  | { type: "push"; gen: number; data: Uint8Array }
  | { type: "end"; gen: number; final: boolean }
  | { type: "flush"; gen: number }
  | { type: "recycle"; buffers: ArrayBuffer[] };

/** Messages from the parsing thread. */
export type FromParser =
  | { type: "ready" }
  | { type: "pushed"; gen: number; records: number; data: Uint8Array }
  | { type: "batch"; gen: number; batch: BatchMessage }
  | { type: "ended"; gen: number; pendingBytes: number; batch: BatchMessage }
  | { type: "error"; gen: number; message: string };

/** What a worker's global scope offers here. */
interface WorkerScope {
  postMessage(message: FromParser, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const SOURCE = { path: "", fingerprint: "" };

/** The file being read: its reader and the batch being filled. */
class OpenFile implements BatchCursor {
  batch: Batch;
  readonly reader: LineReader;

  constructor(
    readonly gen: number,
    state: RunState,
    open: { start: number; batchRows: number; taperEnd: number },
  ) {
    this.batch = new Batch({ ...SOURCE, startOffset: open.start }, { format: "blocks" });
    this.reader = new LineReader(state, open.start, open.batchRows, open.taperEnd);
  }

  cut(): Promise<void> {
    const m = this.batch.toMessage();
    scope.postMessage({ type: "batch", gen: this.gen, batch: m }, batchTransfer(m));
    this.batch = new Batch({ ...SOURCE, startOffset: m.endOffset }, { format: "blocks" });
    return Promise.resolve();
  }

  /** The batch so far, sent; a fresh one follows it. */
  take(pendingBytes: number): void {
    const m = this.batch.toMessage();
    scope.postMessage(
      { type: "ended", gen: this.gen, pendingBytes, batch: m },
      batchTransfer(m),
    );
    this.batch = new Batch({ ...SOURCE, startOffset: m.endOffset }, { format: "blocks" });
  }
}

let state: RunState | null = null;
let file: OpenFile | null = null;

async function handle(m: ToParser): Promise<void> {
  if (m.type === "run") {
    state = createRunState({ ...m, fast: true, privacy: null });
    return;
  }
  if (m.type === "recycle") {
    recycleBlocks(m.buffers);
    return;
  }
  if (m.type === "open") {
    state!.refWall = state!.clock.toWall(m.refWall);
    file = new OpenFile(m.gen, state!, m);
    return;
  }
  const f = file;
  if (f === null || f.gen !== m.gen) return; // a file given up on
  if (m.type === "push") {
    const records = await f.reader.push(m.data, f);
    scope.postMessage({ type: "pushed", gen: m.gen, records, data: m.data }, [
      m.data.buffer as ArrayBuffer,
    ]);
  } else if (m.type === "end") {
    f.take(f.reader.end(f, m.final).pendingBytes);
    file = null;
  } else f.take(0);
}

let queue = Promise.resolve();
scope.onmessage = (event: MessageEvent) => {
  const m = event.data as ToParser;
  queue = queue.then(() => handle(m)).catch((error) => {
    const gen = "gen" in m ? m.gen : -1;
    scope.postMessage({ type: "error", gen, message: String(error?.stack ?? error) });
  });
};
scope.postMessage({ type: "ready" });
