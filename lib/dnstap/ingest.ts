/**
 * dnstap files (`dnstap-output file`, plain or `.gz`, rotated by named's `size`/`versions` or
 * `rndc dnstap -roll`): read exactly once, like the logs. A file is identified by the
 * SHA-256 of its bytes up to the end of its first data frame (the START frame and a message
 * with its nanosecond time), and read from its checkpoint (a frame boundary) in batches, each
 * committed with its checkpoint. Files of a rotated set are read oldest first.
 *
 * @module
 */
import postgres from "postgres";
import { isTransientDbError } from "../db/connect.ts";
import { INGEST_SQL } from "../db/statements.ts";
import { Batch } from "../ingest/batch.ts";
import { CheckpointConflictError, commitBatch, type WriterContext } from "../ingest/commit.ts";
import { orderRotatedFiles } from "../ingest/file_set.ts";
import { emptyFileResult, type FileResult } from "../ingest/ingest_files.ts";
import { SourceFile } from "../ingest/source_file.ts";
import type { Logger } from "../log.ts";
import { createZoneClock } from "../time.ts";
import {
  Control,
  controlName,
  DNSTAP_CONTENT_TYPE,
  FrameDecoder,
  FrameError,
  looksLikeFrameStream,
} from "./fstrm.ts";
import { DnstapAssembler } from "./rows.ts";

/** Options of {@linkcode ingestDnstapFiles}. */
export interface DnstapFilesOptions {
  log: Logger;
  /** Frames per batch. Default 50 000. */
  batchFrames?: number;
  signal?: AbortSignal;
  /**
   * When the last file read ends with named's STOP frame, its queries still unanswered are
   * rows now (named closed the capture: no response can follow). Default true (`ingest`).
   */
  finishAtStop?: boolean;
  /** The assembler to continue with (a follower keeps one across passes). */
  assembler?: DnstapAssembler;
  /** A file that no longer exists is skipped quietly. */
  vanishedOk?: boolean;
}

/** The result of {@linkcode ingestDnstapFiles}. */
export interface DnstapSummary {
  files: FileResult[];
  /** Frames read. */
  frames: number;
  rows: number;
  /** Frames that are not client queries or responses. */
  skipped: number;
  rejected: number;
  reasons: Record<string, number>;
  /** Frames not stored by the exclusion lists. */
  excluded?: number;
  /** 1 per file that ends in a partial frame (being written). */
  pending: number;
  failedFiles: number;
  batches: number;
  /** The last file read ended with a STOP frame. */
  stopped: boolean;
}

/** True when the file at `path` starts like a Frame Streams file (plain or gzip). */
export async function isDnstapFile(path: string): Promise<boolean> {
  let file: SourceFile | null = null;
  try {
    file = await SourceFile.open(path);
    for await (const block of file.blocks(0)) {
      return looksLikeFrameStream(block.subarray(0, 12));
    }
    return false;
  } catch {
    return false;
  } finally {
    file?.close();
  }
}

/**
 * The identity of a dnstap file: hex of the first 16 bytes of the SHA-256 of its bytes up to
 * the end of the first data frame; null while that frame is incomplete. Throws FrameError when
 * the file is not a dnstap Frame Streams file.
 */
export async function dnstapFingerprint(path: string): Promise<string | null> {
  using file = await SourceFile.open(path);
  const decoder = new FrameDecoder();
  const head: Uint8Array[] = [];
  let size = 0;
  for await (const block of file.blocks(0)) {
    head.push(block.slice());
    size += block.length;
    decoder.push(block.slice());
    for (let f = decoder.next(); f; f = decoder.next()) {
      if (f.kind === "control") {
        checkContentType(f.type, f.contentTypes, path);
        continue;
      }
      const all = new Uint8Array(size);
      let p = 0;
      for (const h of head) {
        all.set(h, p);
        p += h.length;
      }
      const digest = await crypto.subtle.digest("SHA-256", all.subarray(0, f.end));
      return Array.from(
        new Uint8Array(digest).subarray(0, 16),
        (b) => b.toString(16).padStart(2, "0"),
      )
        .join("");
    }
    if (size > 1 << 21) break;
  }
  return null;
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

/** Import dnstap files (any order; rotated sets oldest first) exactly once. */
export async function ingestDnstapFiles(
  ctx: WriterContext,
  paths: readonly string[],
  options: DnstapFilesOptions,
): Promise<DnstapSummary> {
  const clock = createZoneClock(ctx.tz);
  const assembler = options.assembler ??
    new DnstapAssembler({ nodeId: ctx.nodeId, clock, privacy: ctx.privacy });
  const summary: DnstapSummary = {
    files: [],
    frames: 0,
    rows: 0,
    skipped: 0,
    rejected: 0,
    reasons: {},
    pending: 0,
    failedFiles: 0,
    batches: 0,
    stopped: false,
  };
  let last: { fingerprint: string; path: string; offset: number } | null = null;
  for (const path of orderRotatedFiles(paths)) {
    if (options.signal?.aborted) break;
    const r = await ingestOne(ctx, path, assembler, options);
    if (r.result.status === "vanished") continue;
    summary.files.push(r.result);
    if (r.result.status === "failed") {
      summary.failedFiles++;
      options.log.error("file not read", { path, error: r.result.error });
    }
    summary.frames += r.result.lines;
    summary.rows += r.result.rows;
    summary.skipped += r.result.skipped;
    summary.rejected += r.result.rejected;
    if (r.result.excluded) summary.excluded = (summary.excluded ?? 0) + r.result.excluded;
    summary.pending += r.result.pending;
    summary.batches += r.result.batches;
    for (const [k, v] of Object.entries(r.result.reasons)) {
      summary.reasons[k] = (summary.reasons[k] ?? 0) + v;
    }
    if (r.fingerprint) {
      last = { fingerprint: r.fingerprint, path, offset: r.result.endOffset };
      summary.stopped = r.stopped;
    }
  }
  if (last && summary.stopped && (options.finishAtStop ?? true) && !options.signal?.aborted) {
    // named closed the capture: the queries still waiting will never be answered.
    const batch = new Batch(
      { path: last.path, fingerprint: last.fingerprint, startOffset: last.offset },
      { format: ctx.copy === false ? "columns" : "binary", dnstap: true },
    );
    assembler.seal(batch, new Date("9999-12-31T00:00:00Z"));
    await commitBatch(ctx, batch);
    summary.rows += batch.dnstap?.expiredRows ?? 0;
  }
  return summary;
}

async function ingestOne(
  ctx: WriterContext,
  path: string,
  assembler: DnstapAssembler,
  options: DnstapFilesOptions,
): Promise<{ result: FileResult; fingerprint: string | null; stopped: boolean }> {
  const result = emptyFileResult(path);
  const format = ctx.copy === false ? "columns" : "binary";
  let fingerprint: string | null = null;
  let stopped = false;
  let batch: Batch | null = null;
  // Up to two commits run while the next frames are decoded; they still commit in order (the
  // dnstap joins of a batch run after the batch before it committed, see commit.ts).
  const inflight: Promise<void>[] = [];
  const commit = async (b: Batch, after?: Promise<void>) => {
    const outcome = await commitBatch(ctx, b, { after });
    result.endOffset = b.endOffset;
    result.lines += b.counts.lines;
    result.skipped += b.counts.skipped;
    result.rejected += b.counts.rejected;
    if (b.counts.excluded) result.excluded = (result.excluded ?? 0) + b.counts.excluded;
    for (const [k, v] of Object.entries(b.counts.reasons)) {
      result.reasons[k] = (result.reasons[k] ?? 0) + v;
    }
    if (outcome === "committed") {
      result.rows += b.counts.rows + (b.dnstap?.expiredRows ?? 0);
      result.batches++;
    }
  };
  const submit = async (b: Batch) => {
    assembler.seal(b);
    if (inflight.length >= 2) await inflight.shift();
    const p = commit(b, inflight.at(-1));
    p.catch(() => {}); // surfaced by drain()
    inflight.push(p);
  };
  const drain = async () => {
    while (inflight.length > 0) await inflight.shift();
  };
  try {
    fingerprint = await dnstapFingerprint(path);
    if (fingerprint === null) {
      const info = await Deno.stat(path);
      if (info.size === 0) result.status = "empty";
      else result.pending = 1;
      return { result, fingerprint, stopped };
    }
    const [cp] = await ctx.sql.unsafe<{ byte_offset: string }[]>(
      INGEST_SQL.checkpointPeek,
      [ctx.nodeId, fingerprint],
    );
    const start = cp ? Number(cp.byte_offset) : 0;
    result.startOffset = result.endOffset = start;
    const batchFrames = options.batchFrames ?? 50_000;
    const newBatch = (at: number) =>
      new Batch({ path, fingerprint: fingerprint!, startOffset: at }, { format, dnstap: true });
    batch = newBatch(start);
    using file = await SourceFile.open(path);
    const decoder = new FrameDecoder(start);
    let samples = 5;
    for await (const block of file.blocks(start)) {
      if (options.signal?.aborted) break;
      decoder.push(block.slice());
      for (let f = decoder.next(); f; f = decoder.next()) {
        batch.endOffset = f.end;
        if (f.kind === "control") {
          checkContentType(f.type, f.contentTypes, path);
          if (f.type === Control.STOP) stopped = true;
          else if (f.type === Control.START) stopped = false;
          else {
            options.log.warn("unexpected control frame in a dnstap file", {
              path,
              frame: controlName(f.type),
              offset: f.start,
            });
          }
          continue;
        }
        stopped = false;
        const outcome = assembler.addFrame(f.payload, f.start, batch, samples > 0);
        if (outcome === "malformed") samples--;
        if (batch.counts.lines >= batchFrames) {
          await submit(batch);
          batch = newBatch(batch.endOffset);
        }
      }
    }
    if (decoder.buffered > 0) result.pending = 1;
    if (batch.endOffset > batch.source.startOffset) await submit(batch);
    await drain();
    return { result, fingerprint, stopped };
  } catch (error) {
    if (
      error instanceof postgres.PostgresError || error instanceof CheckpointConflictError ||
      isTransientDbError(error)
    ) {
      await Promise.allSettled(inflight.splice(0));
      throw error;
    }
    await drain();
    if (options.vanishedOk && error instanceof Deno.errors.NotFound && fingerprint === null) {
      result.status = "vanished";
      return { result, fingerprint, stopped };
    }
    // A broken frame (oversized, wrong content type, corrupt gzip): keep what was read before.
    if (batch && batch.endOffset > batch.source.startOffset) {
      await submit(batch);
      await drain();
    }
    result.status = "failed";
    result.error = error instanceof FrameError
      ? `${path}: ${error.message.replace(`${path}: `, "")}`
      : `${path}: ${error instanceof Error ? error.message : String(error)}`;
    return { result, fingerprint, stopped };
  }
}
