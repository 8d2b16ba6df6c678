/**
 * One-shot import of log files: each rotated set oldest first, every line accounted for,
 * bounded batches each committed with its checkpoint, so running the same files again adds
 * nothing and an interrupted run resumes where its last commit ended.
 *
 * @module
 */
import postgres from "postgres";
import { isTransientDbError } from "../db/connect.ts";
import { apexDomain, normalizeDomain } from "../domain.ts";
import type { Logger } from "../log.ts";
import { parseBindLine } from "../parse/bind_line.ts";
import type { ClientLine } from "../parse/types.ts";
import { INGEST_SQL } from "../db/statements.ts";
import { createZoneClock, resolveYearless, type ZoneClock } from "../time.ts";
import { addCounts, Batch, type Counts, zeroCounts } from "./batch.ts";
import { CheckpointConflictError, commitBatch, type WriterContext } from "./commit.ts";
import { orderRotatedFiles } from "./file_set.ts";
import { FastQueryPath } from "./fast_query.ts";
import { splitLines } from "./line_reader.ts";
import { EMBEDDED_BLOCK, SourceFile } from "./source_file.ts";
import { createProgress } from "./progress.ts";

/** What happened to one file. */
export interface FileResult {
  path: string;
  status: "read" | "empty" | "failed" | "vanished";
  error?: string;
  lines: number;
  rows: number;
  errorLines: number;
  rejected: number;
  skipped: number;
  pending: number;
  /** Rejected lines of this file by reason. */
  reasons: Record<string, number>;
  /** Batches committed. */
  batches: number;
  startOffset: number;
  endOffset: number;
}

/** A {@linkcode FileResult} of `path` with nothing read yet. */
export function emptyFileResult(path: string): FileResult {
  return {
    path,
    status: "read",
    lines: 0,
    rows: 0,
    errorLines: 0,
    rejected: 0,
    skipped: 0,
    pending: 0,
    reasons: {},
    batches: 0,
    startOffset: 0,
    endOffset: 0,
  };
}

/** The result of a run; printed as the last stdout line of `ingest`. */
export interface IngestSummary extends Counts {
  pending: number;
  files: FileResult[];
  failedFiles: number;
  /** Batches committed by this run. */
  batches: number;
  seconds: number;
}

/** Options of {@linkcode ingestFiles}. */
export interface IngestFilesOptions {
  log: Logger;
  /** Rows per batch (bounded memory, one transaction each). Default 50 000. */
  batchRows?: number;
  /** Rejected-line samples kept per reason per run. Default 5. */
  samplesPerReason?: number;
  /** Show progress on stderr (a terminal). */
  progress?: boolean;
  /** Stop reading when aborted: the batch read so far is committed, the rest is left. */
  signal?: AbortSignal;
  /** A file that no longer exists is skipped quietly (a live follower's listing raced a
   * rotation); otherwise it is a failed file. */
  vanishedOk?: boolean;
}

const ENCODER = new TextEncoder();

/** Batches committing at once (one connection each; measured best with 50 000-row batches). */
const COMMITS_IN_FLIGHT = 4;

/** Shared per-run state of the line handler. */
interface RunState {
  clock: ZoneClock;
  nodeId: number;
  format: "binary" | "columns";
  /** The byte-level path for common query lines; null for column batches. */
  fast: FastQueryPath | null;
  names: Map<string, { domain: string; apex: string }>;
  samplesLeft: Map<string, number>;
  samplesPerReason: number;
  /** Wall-clock time of the file being read, the reference for year-less syslog times. */
  refWall: number;
}

/** Import `paths` (any order; rotated sets are sorted oldest first). */
export async function ingestFiles(
  ctx: WriterContext,
  paths: readonly string[],
  options: IngestFilesOptions,
): Promise<IngestSummary> {
  const started = performance.now();
  const clock = createZoneClock(ctx.tz);
  const state: RunState = {
    clock,
    nodeId: ctx.nodeId,
    format: ctx.copy === false ? "columns" : "binary",
    fast: ctx.copy === false ? null : new FastQueryPath({ clock, nodeId: ctx.nodeId }),
    names: new Map(),
    samplesLeft: new Map(),
    samplesPerReason: options.samplesPerReason ?? 5,
    refWall: Date.now(),
  };
  const ordered = orderRotatedFiles(paths);
  const total = zeroCounts();
  const summary: IngestSummary = {
    ...total,
    pending: 0,
    files: [],
    failedFiles: 0,
    batches: 0,
    seconds: 0,
  };
  const progress = createProgress({ enabled: options.progress ?? false, files: ordered });
  try {
    for (const path of ordered) {
      if (options.signal?.aborted) break;
      const result = await ingestResolvingConflicts(ctx, path, state, options, progress);
      if (result.status === "vanished") continue;
      summary.files.push(result);
      if (result.status === "failed") {
        summary.failedFiles++;
        options.log.error("file not read", { path, error: result.error });
      }
      addCounts(summary, result);
      summary.pending += result.pending;
      summary.batches += result.batches;
    }
  } finally {
    progress.done();
  }
  summary.seconds = Math.round(performance.now() - started) / 1000;
  return summary;
}

/**
 * {@linkcode ingestOne}, again from the database's checkpoint when another process (a serve
 * following the file an ingest reads, or the reverse) committed part of it first: its batch
 * rolled back, so nothing is stored twice and nothing is skipped. Bounded: each round, one of
 * the processes moved the checkpoint forward.
 */
async function ingestResolvingConflicts(
  ctx: WriterContext,
  path: string,
  state: RunState,
  options: IngestFilesOptions,
  progress: ReturnType<typeof createProgress>,
): Promise<FileResult> {
  let total: FileResult | null = null;
  for (let round = 1;; round++) {
    const into = emptyFileResult(path); // counts what committed even when a later batch fails
    try {
      const r = await ingestOne(ctx, path, state, options, progress, into);
      return total ? mergeResults(total, r) : r;
    } catch (error) {
      if (!(error instanceof CheckpointConflictError) || round >= 50) throw error;
      if (options.signal?.aborted) throw error;
      options.log.info(
        "another process committed this file first; continuing from its checkpoint",
        {
          path,
        },
      );
      total = total ? mergeResults(total, into) : into;
      await new Promise((r) => setTimeout(r, 20 * round));
    }
  }
}

function mergeResults(a: FileResult, b: FileResult): FileResult {
  const m = { ...b, startOffset: a.startOffset, reasons: { ...b.reasons } };
  m.lines += a.lines;
  m.rows += a.rows;
  m.errorLines += a.errorLines;
  m.rejected += a.rejected;
  m.skipped += a.skipped;
  m.batches += a.batches;
  for (const [k, v] of Object.entries(a.reasons)) m.reasons[k] = (m.reasons[k] ?? 0) + v;
  return m;
}

async function ingestOne(
  ctx: WriterContext,
  path: string,
  state: RunState,
  options: IngestFilesOptions,
  progress: ReturnType<typeof createProgress>,
  result: FileResult = emptyFileResult(path),
): Promise<FileResult> {
  let batch: Batch | null = null;
  let file: SourceFile | null = null;
  // Up to COMMITS_IN_FLIGHT commits run while the next batch is parsed (the parser and the
  // database use different cores, and COPYs on several connections run at once); batches
  // still commit strictly in order (see commit.ts), and their results are taken in order.
  const inflight: Promise<void>[] = [];
  const drain = async () => {
    while (inflight.length > 0) await inflight.shift();
  };
  const submit = async (b: Batch) => {
    if (inflight.length >= COMMITS_IN_FLIGHT) await inflight.shift();
    const p = flush(ctx, b, result, inflight.at(-1));
    p.catch(() => {}); // surfaced by drain() or the next submit()
    inflight.push(p);
  };
  /** Let every running commit finish (or fail) before giving up on the file. */
  const settle = () => Promise.allSettled(inflight.splice(0));
  try {
    file = await SourceFile.open(path, {
      blockBytes: ctx.copy === false ? EMBEDDED_BLOCK : undefined,
    });
    state.refWall = state.clock.toWall(file.mtime?.getTime() ?? Date.now());
    const fingerprint = await file.fingerprint();
    if (fingerprint === null) {
      // No complete first line yet: empty, or one unterminated line that stays pending.
      if (file.size === 0) result.status = "empty";
      else {
        result.pending = 1;
        result.lines = 1;
      }
      return result;
    }
    const [cp] = await ctx.sql.unsafe<{ byte_offset: string }[]>(
      INGEST_SQL.checkpointPeek,
      [ctx.nodeId, fingerprint],
    );
    const start = cp ? Number(cp.byte_offset) : 0;
    result.startOffset = result.endOffset = start;
    const batchRows = options.batchRows ?? 50_000;
    batch = new Batch({ path, fingerprint, startOffset: start }, { format: state.format });
    progress.file(path, file.size, start);
    // Common query lines go from bytes straight into the batch (binary batches only).
    const fastPath = state.fast;
    const fast = fastPath
      ? (d: Uint8Array, s: number, limit: number) => {
        const end = fastPath.tryLine(d, s, limit, batch!);
        if (end >= 0) batch!.counts.lines++;
        return end;
      }
      : undefined;
    const lines = splitLines(file.blocks(start), { startOffset: start, fast });
    let linesRead = 0;
    for (;;) {
      if (options.signal?.aborted) break;
      const next = await lines.next();
      if (next.done) {
        result.endOffset = next.value.offset;
        if (next.value.pendingBytes > 0) {
          result.pending = 1;
          result.lines++;
        }
        break;
      }
      const { items, starts } = next.value;
      for (let i = 0; i < items.length; i++) handleLine(batch, items[i], starts[i], state);
      batch.endOffset = next.value.end;
      linesRead += next.value.lines;
      progress.advance(batch.endOffset, linesRead);
      if (batch.counts.rows >= batchRows || batch.errors.length >= batchRows) {
        await submit(batch);
        batch = new Batch({ path, fingerprint, startOffset: batch.endOffset }, {
          format: state.format,
        });
      }
    }
    if (batch.endOffset > batch.source.startOffset) await submit(batch);
    await drain();
    return result;
  } catch (error) {
    if (isDatabaseFailure(error)) {
      await settle();
      throw error;
    }
    await drain();
    if (options.vanishedOk && error instanceof Deno.errors.NotFound && !file) {
      result.status = "vanished";
      return result;
    }
    // A read error part-way (a corrupt gzip tail, a vanished file): keep what was read.
    if (batch && batch.endOffset > batch.source.startOffset) await flush(ctx, batch, result);
    result.status = "failed";
    result.error = describeReadError(path, error);
    return result;
  } finally {
    file?.close();
  }
}

function isDatabaseFailure(error: unknown): boolean {
  return error instanceof postgres.PostgresError || error instanceof CheckpointConflictError ||
    isTransientDbError(error);
}

async function flush(
  ctx: WriterContext,
  batch: Batch,
  result: FileResult,
  after?: Promise<void>,
): Promise<void> {
  const outcome = await commitBatch(ctx, batch, { after });
  batch.release();
  const c = batch.counts;
  result.endOffset = batch.endOffset;
  result.lines += c.lines;
  if (outcome === "committed") {
    result.rows += c.rows;
    result.batches++;
    result.errorLines += c.errorLines;
  }
  result.rejected += c.rejected;
  result.skipped += c.skipped;
  for (const [k, v] of Object.entries(c.reasons)) result.reasons[k] = (result.reasons[k] ?? 0) + v;
}

function resolveTime(p: ClientLine, state: RunState): [number, number] {
  if (p.zoned) return [p.time, state.clock.toWall(p.time)];
  const wall = p.yearless ? resolveYearless(p.time, state.refWall) : p.time;
  return [state.clock.toEpoch(wall), wall];
}

const COPY_ENCODER = new TextEncoder();
const COPY_DECODER = new TextDecoder();

/**
 * A copy of `s` that shares no memory with it. Substrings in V8 can be views of the string
 * they were cut from; a cached name cut from a line would keep that line's whole 1 MiB read
 * block alive, and the cache would pin most of a large file in memory.
 */
function detached(s: string): string {
  return COPY_DECODER.decode(COPY_ENCODER.encode(s));
}

function names(state: RunState, qname: string): { domain: string; apex: string } {
  let n = state.names.get(qname);
  if (n === undefined) {
    const key = detached(qname);
    const domain = normalizeDomain(key);
    n = { domain, apex: apexDomain(domain) };
    if (state.names.size >= 100_000) state.names.clear();
    state.names.set(key, n);
  }
  return n;
}

function reject(
  batch: Batch,
  state: RunState,
  reason: string,
  offset: number,
  bytes: () => Uint8Array,
  length: number,
): void {
  const left = state.samplesLeft.get(reason) ?? state.samplesPerReason;
  if (left > 0) state.samplesLeft.set(reason, left - 1);
  batch.addReject(
    { reason, byteOffset: offset, length, sample: left > 0 ? bytes() : new Uint8Array() },
    left > 0,
  );
}

/** Decide one line and add it to the batch. */
function handleLine(
  batch: Batch,
  item: string | { reason: string; sample: Uint8Array; length: number },
  offset: number,
  state: RunState,
): void {
  batch.counts.lines++;
  if (typeof item !== "string") {
    reject(batch, state, item.reason, offset, () => item.sample, item.length);
    return;
  }
  if (item.length === 0) {
    batch.counts.skipped++;
    return;
  }
  const p = parseBindLine(item);
  const sample = () => ENCODER.encode(item.slice(0, 1024));
  switch (p.kind) {
    case "query": {
      const [at, wall] = resolveTime(p, state);
      const n = names(state, p.qname);
      const ok = batch.addQuery(p, Math.floor(wall / 86_400_000), {
        at,
        domain: n.domain,
        apex: n.apex,
        nodeId: state.nodeId,
      });
      if (!ok) reject(batch, state, "bad_address", offset, sample, item.length);
      return;
    }
    case "error":
    case "ratelimit":
    case "response": {
      const [at, wall] = resolveTime(p, state);
      const domain = p.qname === "" ? null : names(state, p.qname).domain;
      if (!batch.addError(p, at, Math.floor(wall / 86_400_000), domain, offset)) {
        reject(batch, state, "bad_address", offset, sample, item.length);
      }
      return;
    }
    case "other":
      batch.counts.skipped++;
      return;
    case "rejected":
      reject(batch, state, p.reason, offset, sample, item.length);
      return;
  }
}

function describeReadError(path: string, error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return `Cannot read "${path}": no such file`;
  if (error instanceof Deno.errors.IsADirectory) {
    return `Cannot read "${path}": it is a directory (name the log files themselves)`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `Cannot read "${path}": permission denied (run as a user that can read it, ` +
      "e.g. add the service user to group bind, or grant an ACL with setfacl)";
  }
  if (error instanceof TypeError && /gzip|decompress|corrupt/i.test(String(error))) {
    return `Cannot read "${path}": not a valid gzip file (${error.message})`;
  }
  const msg = error instanceof Error ? error.message : String(error);
  return `Cannot read "${path}": ${msg}`;
}
