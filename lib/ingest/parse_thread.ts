/**
 * The query log parsed on a thread of its own (lib/ingest/parse_worker.ts) for `ingest` into
 * PostgreSQL: the main thread reads each file and hands its blocks over, takes the full
 * batches back and commits them while the thread parses the next. Parsing was most of the
 * main thread's work, and the COPY of earlier batches waited for it. Batches, offsets,
 * counts and rejects are exactly those of the main thread's reader (the same code runs
 * there). Where no worker can start (its module missing from a compiled binary), the main
 * thread parses, as before.
 *
 * @module
 */
import { COPY_BLOCK } from "../db/copy_blocks.ts";
import type { BatchCursor, FileReader } from "../tail/source.ts";
import type { SourceFile } from "../tail/source_file.ts";
import { createRunState, LineReader, type RunState } from "./line_handler.ts";
import type { FromParser, ToParser } from "./parse_worker.ts";

/** Blocks handed over and not yet parsed, at most (256 KiB each). */
const AHEAD = 8;

/** A parsing thread for the files of one run. */
export class ParseThread {
  #worker: Worker | null;
  #inbox: FromParser[] = [];
  #wake: (() => void) | null = null;
  #failed: Error | null = null;
  #gen = 0;
  #spare: ArrayBuffer[] = [];
  #local: RunState | null = null;
  readonly #run: { tz: string; nodeId: number; samplesPerReason?: number };
  /** Resolves true once the thread has loaded, false when it cannot run. */
  readonly ready: Promise<boolean>;

  /** Start the thread for a run of node `nodeId` in zone `tz`. */
  constructor(
    run: { tz: string; nodeId: number; samplesPerReason?: number },
    workerUrl = new URL("./parse_worker.ts", import.meta.url),
  ) {
    this.#run = run;
    let settle: (ok: boolean) => void = () => {};
    this.ready = new Promise((resolve) => settle = resolve);
    let worker: Worker | null = null;
    try {
      worker = new Worker(workerUrl.href, { type: "module" });
    } catch {
      settle(false);
    }
    this.#worker = worker;
    if (!worker) return;
    let started = false;
    worker.onmessage = (event: MessageEvent) => {
      const m = event.data as FromParser;
      if (m.type === "ready") {
        started = true;
        settle(true);
      } else this.#deliver(m);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      if (!started) settle(false);
      this.#fail(new Error(`ingest: the parsing thread failed: ${event.message}`));
    };
    this.#send({ type: "run", ...run });
  }

  /** A reader of `file` from `start` that parses on the thread (or here, see the module). */
  reader(file: SourceFile, start: number, batchRows: number, taperEnd = Infinity): FileReader {
    const refWall = file.mtime?.getTime() ?? Date.now();
    return new ThreadReader(this, { gen: ++this.#gen, start, refWall, batchRows, taperEnd });
  }

  /** The main thread's state, for a run the thread cannot take. */
  localState(): RunState {
    return this.#local ??= createRunState({ ...this.#run, fast: true, privacy: null });
  }

  /** End the thread (idempotent). */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#fail(new Error("ingest: the parsing thread was closed"));
  }

  /** Send `m`, transferring `transfer`. */
  send(m: ToParser, transfer: Transferable[] = []): void {
    if (this.#failed) throw this.#failed;
    this.#send(m, transfer);
  }

  #send(m: ToParser, transfer: Transferable[] = []): void {
    this.#worker?.postMessage(m, transfer);
  }

  /** A buffer of at least `bytes` for a block (one handed back by the thread if it fits). */
  buffer(bytes: number): ArrayBuffer {
    const b = this.#spare.pop();
    return b && b.byteLength >= bytes ? b : new ArrayBuffer(Math.max(bytes, 1 << 18));
  }

  /** Give the COPY buffers of a committed batch back to the thread, to write into again. */
  recycle(data: Uint8Array[]): void {
    const whole = new Set<ArrayBuffer>();
    for (const b of data) {
      if (b.buffer.byteLength === COPY_BLOCK) whole.add(b.buffer as ArrayBuffer);
    }
    if (whole.size === 0 || this.#failed) return;
    const buffers = [...whole];
    this.#send({ type: "recycle", buffers }, buffers);
  }

  /** A block's buffer is back from the thread. */
  spare(b: ArrayBuffer): void {
    if (this.#spare.length < AHEAD + 2) this.#spare.push(b);
  }

  /** The next message from the thread, in order (waits for it); ready if `wait` is false. */
  async next(wait: boolean): Promise<FromParser | null> {
    for (;;) {
      const m = this.#inbox.shift();
      if (m) return m;
      if (this.#failed) throw this.#failed;
      if (!wait) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  #deliver(m: FromParser): void {
    this.#inbox.push(m);
    this.#wake?.();
    this.#wake = null;
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    this.#wake?.();
    this.#wake = null;
  }
}

/** One file's reader on the thread (see {@linkcode ParseThread.reader}). */
class ThreadReader implements FileReader {
  #thread: ParseThread;
  #open: {
    gen: number;
    start: number;
    refWall: number;
    batchRows: number;
    taperEnd: number;
  };
  #opened = false;
  #local: LineReader | null = null;
  #ahead = 0;
  #records = 0;
  readonly #recycle = (data: Uint8Array[]) => this.#thread.recycle(data);

  constructor(
    thread: ParseThread,
    open: {
      gen: number;
      start: number;
      refWall: number;
      batchRows: number;
      taperEnd: number;
    },
  ) {
    this.#thread = thread;
    this.#open = open;
  }

  /** The main thread's reader, once the thread is known not to run. */
  async #fallback(): Promise<LineReader | null> {
    if (this.#opened || this.#local) return this.#local;
    if (await this.#thread.ready) {
      this.#thread.send({ type: "open", ...this.#open });
      this.#opened = true;
      return null;
    }
    const state = this.#thread.localState();
    state.refWall = state.clock.toWall(this.#open.refWall);
    const { start, batchRows, taperEnd } = this.#open;
    return this.#local = new LineReader(state, start, batchRows, taperEnd);
  }

  async push(block: Uint8Array, cursor: BatchCursor): Promise<number> {
    const local = await this.#fallback();
    if (local) return await local.push(block, cursor);
    const buffer = this.#thread.buffer(block.length);
    const data = new Uint8Array(buffer, 0, block.length);
    data.set(block);
    this.#thread.send({ type: "push", gen: this.#open.gen, data }, [buffer]);
    this.#ahead++;
    // Take what has come back; wait only when the thread is too far behind.
    while (await this.#take(cursor, this.#ahead >= AHEAD) !== null);
    const records = this.#records;
    this.#records = 0;
    return records;
  }

  async end(cursor: BatchCursor, final: boolean): Promise<{ pendingBytes: number }> {
    const local = await this.#fallback();
    if (local) return local.end(cursor, final);
    this.#thread.send({ type: "end", gen: this.#open.gen, final });
    return { pendingBytes: await this.#until(cursor) };
  }

  async flush(cursor: BatchCursor): Promise<void> {
    if (!this.#opened) return;
    this.#thread.send({ type: "flush", gen: this.#open.gen });
    await this.#until(cursor);
  }

  /** Handle the thread's messages up to `ended`: its batch goes into the cursor's. */
  async #until(cursor: BatchCursor): Promise<number> {
    for (;;) {
      const m = await this.#take(cursor, true);
      if (m?.type === "ended" && m.gen === this.#open.gen) {
        cursor.batch.adopt(m.batch, this.#recycle);
        return m.pendingBytes;
      }
    }
  }

  /** Handle the next message (null when none is there and `wait` is false). */
  async #take(cursor: BatchCursor, wait: boolean): Promise<FromParser | null> {
    const m = await this.#thread.next(wait);
    if (m === null) return null;
    if (m.type === "pushed") this.#thread.spare(m.data.buffer as ArrayBuffer);
    if (m.type === "ready" || m.gen !== this.#open.gen) return m; // a file given up on
    if (m.type === "pushed") {
      this.#ahead--;
      this.#records += m.records;
    } else if (m.type === "batch") {
      cursor.batch.adopt(m.batch, this.#recycle);
      await cursor.cut();
    } else if (m.type === "error") {
      throw new Error(`ingest: the parsing thread failed: ${m.message}`);
    }
    return m;
  }
}
