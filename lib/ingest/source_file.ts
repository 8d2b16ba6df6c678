/**
 * One open log file: its fingerprint and its bytes come from the same descriptor, so a
 * rotation between "which file is this?" and "read it" cannot pair one file's checkpoint
 * with another file's bytes.
 *
 * @module
 */
import { FINGERPRINT_BYTES, fingerprintBytes } from "./fingerprint.ts";

// Each read is a trip to a worker thread and back (64 KiB reads cost 0.3 s of CPU more per
// 700 MB than 256 KiB ones); blocks stay small enough that the socket to PostgreSQL
// progresses between them (about 1.5 ms of parsing each).
const BLOCK = 1 << 18;
/**
 * Reads for the embedded database: it runs in this thread, and commits of earlier batches
 * progress only between blocks, so long stretches of parsing stall them (1M lines: 16 s with
 * 64 KiB blocks, 24 s with 256 KiB).
 */
export const EMBEDDED_BLOCK = 1 << 16;

/** An open file, plain or gzip; close it (or use `using`). */
export class SourceFile implements Disposable {
  readonly path: string;
  readonly gzip: boolean;
  readonly size: number;
  readonly mtime: Date | null;
  #file: Deno.FsFile;
  /** gzip: the decompressed stream and the bytes already taken from it. */
  #stream: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #head: Uint8Array = new Uint8Array();
  #streamPos = 0; // decompressed bytes consumed from the stream (head included)
  #used = false;
  #blockBytes = BLOCK;

  private constructor(path: string, file: Deno.FsFile, info: Deno.FileInfo, gzip: boolean) {
    this.path = path;
    this.#file = file;
    this.size = info.size;
    this.mtime = info.mtime;
    this.gzip = gzip;
  }

  /** Open `path` for reading; throws Deno's NotFound/PermissionDenied/… errors. */
  static async open(
    path: string,
    options: { gzip?: boolean; blockBytes?: number } = {},
  ): Promise<SourceFile> {
    const file = await Deno.open(path, { read: true });
    try {
      const info = await file.stat();
      if (info.isDirectory) throw new Deno.errors.IsADirectory(`${path} is a directory`);
      const f = new SourceFile(path, file, info, options.gzip ?? path.endsWith(".gz"));
      f.#blockBytes = options.blockBytes ?? BLOCK;
      return f;
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Device and inode (null where the platform has none). */
  async identity(): Promise<{ dev: number; ino: number | null }> {
    const info = await this.#file.stat();
    return { dev: info.dev, ino: info.ino };
  }

  /** The fingerprint of this file (see fingerprint.ts), or null without a first line yet. */
  async fingerprint(): Promise<string | null> {
    if (!this.gzip) {
      const head = new Uint8Array(FINGERPRINT_BYTES);
      await this.#file.seek(0, Deno.SeekMode.Start);
      let have = 0;
      while (have < head.length) {
        const n = await this.#file.read(head.subarray(have));
        if (n === null) break;
        have += n;
        if (head.subarray(0, have).indexOf(10) >= 0) break;
      }
      return await fingerprintBytes(head.subarray(0, have));
    }
    this.#stream ??= this.#file.readable.pipeThrough(new DecompressionStream("gzip"))
      .getReader();
    while (this.#head.length < FINGERPRINT_BYTES && this.#head.indexOf(10) < 0) {
      const { done, value } = await this.#stream.read();
      if (done) break;
      const joined = new Uint8Array(this.#head.length + value.length);
      joined.set(this.#head);
      joined.set(value, this.#head.length);
      this.#head = joined;
      this.#streamPos += value.length;
    }
    return await fingerprintBytes(this.#head.subarray(0, FINGERPRINT_BYTES));
  }

  /**
   * The bytes from `start` (of the uncompressed content) to the end. Once per file. A block
   * is valid until the next one is requested: the read buffer is reused (a fresh 1 MiB buffer
   * per read left hundreds of MB of garbage for the collector on a large file). No read runs
   * ahead: with the embedded database in the same process a pending read ahead could stall
   * the ingest (seen in about one run in five).
   */
  async *blocks(start: number): AsyncGenerator<Uint8Array> {
    if (this.#used) throw new Error("SourceFile.blocks() can be read once");
    this.#used = true;
    if (!this.gzip) {
      await this.#file.seek(start, Deno.SeekMode.Start);
      const buf = new Uint8Array(this.#blockBytes);
      for (;;) {
        const n = await this.#file.read(buf);
        if (n === null) return;
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    }
    this.#stream ??= this.#file.readable.pipeThrough(new DecompressionStream("gzip"))
      .getReader();
    let pos = this.#streamPos - this.#head.length; // offset of #head[0]
    if (this.#head.length > 0) {
      const from = start - pos;
      if (from < this.#head.length) yield this.#head.subarray(Math.max(0, from));
      pos += this.#head.length;
      this.#head = new Uint8Array();
    }
    for (;;) {
      const { done, value } = await this.#stream.read();
      if (done) return;
      const end = pos + value.length;
      if (end > start) yield start > pos ? value.subarray(start - pos) : value;
      pos = end;
    }
  }

  /** Close the descriptor (and the decompression stream). */
  close(): void {
    this.#stream?.cancel().catch(() => {});
    try {
      this.#file.close();
    } catch {
      // already closed by the stream
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
