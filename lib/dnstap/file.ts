/**
 * dnstap files (`dnstap-output file`, plain or `.gz`, rotated by named's `size`/`versions` or
 * `rndc dnstap -roll`) as a tail source: read exactly once, like the logs, by the same file
 * pipeline and follower. A file is identified by the SHA-256 of its bytes up to the end of
 * its first data frame (the START frame and a message with its nanosecond time), taken from
 * the descriptor its frames are then read from; it is read from its checkpoint (a frame
 * boundary) in batches. Queries and responses are paired in memory (rows.ts) and, across
 * batches, by the settle step of each commit (settle.ts).
 *
 * @module
 */
import { Batch, type BatchSource } from "../ingest/batch.ts";
import { commitBatch, type WriterContext } from "../ingest/commit.ts";
import type { Logger } from "../log.ts";
import { digestHex } from "../tail/fingerprint.ts";
import { readFiles, type ReadFilesOptions, type TailSummary } from "../tail/pipeline.ts";
import type { BatchCursor, FileReader, TailSource } from "../tail/source.ts";
import { SourceFile } from "../tail/source_file.ts";
import { createZoneClock } from "../time.ts";
import { Control, controlName, DNSTAP_CONTENT_TYPE, FrameDecoder, FrameError } from "./fstrm.ts";
import { DnstapAssembler } from "./rows.ts";
import { settleDnstap } from "./settle.ts";

export { isDnstapFile } from "./detect.ts";

/** Bytes read at most to find the first data frame (a frame is at most 1 MiB). */
const HEAD_MAX = 1 << 21;

/** Options of {@linkcode dnstapFileSource}. */
export interface DnstapSourceOptions {
  log: Logger;
  /** Frames per batch. Default 50 000. */
  batchFrames?: number;
  /** The assembler to continue with (a follower keeps one across passes). */
  assembler?: DnstapAssembler;
}

/**
 * The identity of the open dnstap `file`: hex of the first 16 bytes of the SHA-256 of its
 * bytes up to the end of the first data frame; null while that frame is incomplete (with
 * `final`, a rotated file without one is identified by all its bytes). Throws FrameError
 * when the file is not a dnstap Frame Streams file.
 */
export async function fingerprintDnstap(
  file: SourceFile,
  options: { final?: boolean } = {},
): Promise<string | null> {
  let firstEnd = -1;
  const head = await file.head(HEAD_MAX, (h) => {
    const decoder = new FrameDecoder();
    decoder.push(h);
    for (let f = decoder.next(); f; f = decoder.next()) {
      if (f.kind === "control") {
        checkContentType(f.type, f.contentTypes, file.path);
        continue;
      }
      firstEnd = f.end;
      return true;
    }
    return false;
  });
  if (firstEnd >= 0) return await digestHex(head.subarray(0, firstEnd));
  return options.final && head.length > 0 && head.length < HEAD_MAX ? await digestHex(head) : null;
}

/** {@linkcode fingerprintDnstap} of the file at `path`. */
export async function dnstapFingerprint(path: string): Promise<string | null> {
  using file = await SourceFile.open(path);
  return await fingerprintDnstap(file);
}

function checkContentType(type: number, types: string[], where: string): void {
  if (
    (type === Control.START || type === Control.READY) && types.length > 0 &&
    !types.includes(DNSTAP_CONTENT_TYPE)
  ) {
    throw new FrameError(
      `${where}: content type ${types.map((t) => JSON.stringify(t)).join(", ")} is not ` +
        `${DNSTAP_CONTENT_TYPE}`,
    );
  }
}

/**
 * The dnstap file source of one run. When the last file read ends with named's STOP frame,
 * its queries still unanswered become rows at the end of the run (named closed the capture:
 * no response can follow).
 */
export function dnstapFileSource(ctx: WriterContext, options: DnstapSourceOptions): TailSource {
  const assembler = options.assembler ??
    new DnstapAssembler({
      nodeId: ctx.nodeId,
      clock: createZoneClock(ctx.tz),
      privacy: ctx.privacy,
    });
  const format = ctx.copy === false ? "columns" : "binary";
  const batchFrames = options.batchFrames ?? 50_000;
  let last: FrameReader | null = null;
  return {
    // Up to two commits run while the next frames are decoded; they still commit in order.
    commitsInFlight: 2,
    countPending: false,
    fingerprint: (file, { final }) => fingerprintDnstap(file, { final }),
    newBatch: (source) => new Batch(source, { format, dnstap: true }),
    reader(file, start) {
      last = new FrameReader(file.path, start, { assembler, batchFrames, log: options.log });
      return last;
    },
    seal: (batch) => assembler.seal(batch),
    reset: () => assembler.reset(),
    settle: settleDnstap,
    async finish(ctx) {
      const stop = last?.stoppedAt;
      last = null;
      if (!stop) return 0;
      // named closed the capture: the queries still waiting will never be answered.
      const batch = new Batch(stop, { format, dnstap: true });
      assembler.seal(batch, new Date("9999-12-31T00:00:00Z"));
      await commitBatch(ctx, batch, { settle: settleDnstap });
      return batch.settledRows;
    },
    recordsEnd: lastFrameEnd,
  };
}

/** Frames of one file into batches. */
class FrameReader implements FileReader {
  #path: string;
  #decoder: FrameDecoder;
  #assembler: DnstapAssembler;
  #batchFrames: number;
  #log: Logger;
  #samples = 5;
  #stopped = false;
  /** The file (as batches name it) and the end of the last frame read. */
  #file: BatchSource | null = null;
  #end = 0;

  constructor(
    path: string,
    start: number,
    options: { assembler: DnstapAssembler; batchFrames: number; log: Logger },
  ) {
    this.#path = path;
    this.#decoder = new FrameDecoder(start);
    this.#assembler = options.assembler;
    this.#batchFrames = options.batchFrames;
    this.#log = options.log;
  }

  /** Where the file ends, when its last frame read was STOP. */
  get stoppedAt(): BatchSource | null {
    return this.#stopped && this.#file ? { ...this.#file, startOffset: this.#end } : null;
  }

  async push(block: Uint8Array, cursor: BatchCursor): Promise<number> {
    this.#decoder.push(block.slice());
    this.#file ??= cursor.batch.source;
    let frames = 0;
    for (let f = this.#decoder.next(); f; f = this.#decoder.next()) {
      const batch = cursor.batch;
      batch.endOffset = this.#end = f.end;
      if (f.kind === "control") {
        checkContentType(f.type, f.contentTypes, this.#path);
        if (f.type === Control.STOP) this.#stopped = true;
        else if (f.type === Control.START) this.#stopped = false;
        else {
          this.#log.warn("unexpected control frame in a dnstap file", {
            path: this.#path,
            frame: controlName(f.type),
            offset: f.start,
          });
        }
        continue;
      }
      this.#stopped = false;
      frames++;
      const outcome = this.#assembler.addFrame(f.payload, f.start, batch, this.#samples > 0);
      if (outcome === "malformed") this.#samples--;
      if (batch.counts.lines >= this.#batchFrames) await cursor.cut();
    }
    return frames;
  }

  end(cursor: BatchCursor, final: boolean): { pendingBytes: number } {
    const pendingBytes = this.#decoder.buffered;
    if (!final || pendingBytes === 0) return { pendingBytes };
    // A rotated file's partial last frame will never be completed.
    const batch = cursor.batch;
    const start = this.#decoder.offset;
    batch.counts.lines++;
    batch.addReject(
      { reason: "unterminated", byteOffset: start, length: pendingBytes, sample: new Uint8Array() },
      false,
    );
    batch.endOffset = start + pendingBytes;
    this.#stopped = false;
    return { pendingBytes: 0 };
  }
}

/** The offset after the last complete frame of `file`; its end when `final`. */
async function lastFrameEnd(file: SourceFile, final: boolean): Promise<number> {
  const decoder = new FrameDecoder();
  let end = 0;
  for await (const block of file.blocks(0)) {
    decoder.push(block.slice());
    for (let f = decoder.next(); f; f = decoder.next()) end = f.end;
  }
  return final ? decoder.offset + decoder.buffered : end;
}

/** Import dnstap files (any order; rotated sets oldest first) exactly once. */
export async function ingestDnstapFiles(
  ctx: WriterContext,
  paths: readonly string[],
  options: DnstapSourceOptions & Omit<ReadFilesOptions, "log" | "source">,
): Promise<TailSummary> {
  return await readFiles(ctx, paths, { ...options, source: dnstapFileSource(ctx, options) });
}
