/**
 * One open source file (a log or a dnstap capture, plain or gzip): its identity (from
 * {@linkcode SourceFile.head}) and its bytes ({@linkcode SourceFile.blocks}) come from the same
 * descriptor, so a rotation between "which file is this?" and "read it" cannot pair one file's
 * checkpoint with another file's bytes.
 *
 * @module
 */
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

  /**
   * The first bytes of the (uncompressed) content: at most `max`, fewer when `enough` says so
   * after a read or the file ends. Read from this descriptor, so the identity a source
   * derives from them and the bytes {@linkcode blocks} yields are of one file.
   */
  async head(max: number, enough: (head: Uint8Array) => boolean): Promise<Uint8Array> {
    if (!this.gzip) {
      let buf = new Uint8Array(Math.min(max, 1 << 16));
      await this.#file.seek(0, Deno.SeekMode.Start);
      let have = 0;
      for (;;) {
        if (have === buf.length) {
          if (have >= max) break;
          const bigger = new Uint8Array(Math.min(max, buf.length * 4));
          bigger.set(buf);
          buf = bigger;
        }
        const n = await this.#file.read(buf.subarray(have));
        if (n === null) break;
        have += n;
        if (enough(buf.subarray(0, have))) break;
      }
      return buf.subarray(0, have);
    }
    this.#stream ??= this.#file.readable.pipeThrough(new DecompressionStream("gzip"))
      .getReader();
    while (this.#head.length < max && !enough(this.#head)) {
      const { done, value } = await this.#stream.read();
      if (done) break;
      const joined = new Uint8Array(this.#head.length + value.length);
      joined.set(this.#head);
      joined.set(value, this.#head.length);
      this.#head = joined;
      this.#streamPos += value.length;
    }
    return this.#head.subarray(0, max);
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
