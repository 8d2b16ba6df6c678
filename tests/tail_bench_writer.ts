/**
 * The live-tail benchmark's writer thread (tests/tail_bench.ts): appends simulated BIND query
 * lines to a log at a fixed rate, rotating it as BIND's `versions N size S` does (`x` → `x.0`
 * …), and records for every line the byte offset it ends at in its file and the instant the
 * write that holds it returned (epoch ms, `performance.timeOrigin + performance.now()`). Each
 * line's BIND timestamp is that write's wall-clock time too. A thread of its own, so that
 * neither the writer's pace nor the main thread's checkpoint polling delays the other.
 *
 * Messages in: `{ type: "warm", options }` (write one line, answer `warm` with it), then
 * `{ type: "go" }` (write for `options.seconds`, answer `done` with every line's record).
 *
 * @module
 */
import { TrafficGenerator } from "../lib/demo/traffic.ts";

/** What the writer is told. */
export interface WriterOptions {
  path: string;
  rate: number;
  seconds: number;
  seed: number;
  /** Rotation as BIND's `versions` and `size` of the channel. */
  versions: number;
  size: number;
}

/** One write: the lines it appended, all visible from `at` on. */
export interface WrittenChunk {
  /** Index into {@linkcode WriterResult.files}. */
  file: number;
  /** Epoch ms (fractional) when the write returned. */
  at: number;
  /** Byte offset after each line of the write, in its file. */
  ends: Uint32Array;
}

/** Everything written, in order. */
export interface WriterResult {
  /** Each file written, oldest first: its first line (its identity) and its size. */
  files: { firstLine: string; size: number }[];
  /** The warm-up write (before `go`), then the timed writes. */
  warm: WrittenChunk;
  chunks: WrittenChunk[];
  /** Lines written in all, the warm-up line included. */
  lines: number;
  /** Epoch ms of `go` and of the last timed write. */
  startedAt: number;
  endedAt: number;
}

/** Messages to the writer. */
export type ToWriter = { type: "warm"; options: WriterOptions } | { type: "go" };

/** Messages from the writer. */
export type FromWriter =
  | { type: "warm"; firstLine: string }
  | { type: "done"; result: WriterResult }
  | { type: "error"; message: string };

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/** Epoch ms with sub-ms resolution, comparable between threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

const ENCODER = new TextEncoder();

/** A log that rotates itself like BIND and knows each line's offset. */
class RotatingWriter {
  readonly files: { firstLine: string; size: number }[] = [];
  #file: Deno.FsFile | null = null;
  #options: WriterOptions;

  constructor(options: WriterOptions) {
    this.#options = options;
  }

  async write(lines: string[]): Promise<WrittenChunk> {
    const o = this.#options;
    let current = this.files.at(-1);
    if (!this.#file || (current && current.size >= o.size)) {
      if (this.#file) await this.#rotate();
      this.#file = await Deno.open(o.path, { append: true, create: true });
      current = { firstLine: lines[0], size: 0 };
      this.files.push(current);
    }
    const ends = new Uint32Array(lines.length);
    let end = current!.size;
    const text = lines.join("\n") + "\n";
    const bytes = ENCODER.encode(text);
    const ascii = bytes.length === text.length;
    for (let i = 0; i < lines.length; i++) {
      end += (ascii ? lines[i].length : ENCODER.encode(lines[i]).length) + 1;
      ends[i] = end;
    }
    for (let at = 0; at < bytes.length;) at += await this.#file.write(bytes.subarray(at));
    current!.size += bytes.length;
    return { file: this.files.length - 1, at: epochMs(), ends };
  }

  async #rotate(): Promise<void> {
    const { path, versions } = this.#options;
    this.#file?.close();
    this.#file = null;
    await Deno.remove(`${path}.${versions - 1}`).catch(() => {});
    for (let i = versions - 2; i >= 0; i--) {
      await Deno.rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => {});
    }
    await Deno.rename(path, `${path}.0`);
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

/**
 * Writes at `options.rate` for `options.seconds`: every 5 ms what is due by then, at most
 * 10 ms of lines per write, so that a writer that fell behind (a loaded machine) catches up in
 * small writes that each carry their own time, and its lateness shows in `endedAt`. Gives up
 * 5 s after the end.
 */
async function writeTimed(
  log: RotatingWriter,
  g: TrafficGenerator,
  options: WriterOptions,
): Promise<{ chunks: WrittenChunk[]; lines: number; startedAt: number; endedAt: number }> {
  const chunks: WrittenChunk[] = [];
  const startedAt = epochMs();
  const total = Math.round(options.rate * options.seconds);
  const most = Math.max(1, Math.ceil(options.rate / 100));
  let lines = 0, endedAt = startedAt;
  while (lines < total) {
    const now = epochMs();
    if (now - startedAt > options.seconds * 1000 + 5_000) break;
    const due = Math.min(total, Math.floor(((now - startedAt) / 1000) * options.rate)) - lines;
    if (due <= 0) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const n = Math.min(due, most);
    const wall = Date.now();
    const batch = Array.from({ length: n }, () => g.next(wall).query);
    const chunk = await log.write(batch);
    chunks.push(chunk);
    lines += n;
    endedAt = chunk.at;
    if (n === due) await new Promise((r) => setTimeout(r, 5));
  }
  return { chunks, lines, startedAt, endedAt };
}

if (import.meta.main) {
  const scope = globalThis as unknown as WorkerScope;
  let log: RotatingWriter | null = null;
  let g: TrafficGenerator | null = null;
  let options: WriterOptions | null = null;
  let warm: WrittenChunk | null = null;
  scope.onmessage = async (event: MessageEvent) => {
    const msg = event.data as ToWriter;
    try {
      if (msg.type === "warm") {
        options = msg.options;
        log = new RotatingWriter(options);
        g = new TrafficGenerator(options.seed);
        warm = await log.write([g.next(Date.now()).query]);
        scope.postMessage({ type: "warm", firstLine: log.files[0].firstLine } satisfies FromWriter);
        return;
      }
      const timed = await writeTimed(log!, g!, options!);
      log!.close();
      const result: WriterResult = {
        files: log!.files,
        warm: warm!,
        chunks: timed.chunks,
        lines: timed.lines + 1,
        startedAt: timed.startedAt,
        endedAt: timed.endedAt,
      };
      scope.postMessage({ type: "done", result } satisfies FromWriter);
    } catch (error) {
      scope.postMessage(
        {
          type: "error",
          message: error instanceof Error ? error.message : String(error),
        } satisfies FromWriter,
      );
    }
  };
}
