/**
 * The file pipeline, the same for every source: each rotated set oldest first; a file opened
 * once, its identity and its bytes taken from that one descriptor; its checkpoint peeked;
 * its bytes decoded by the source into bounded batches, each committed with its checkpoint.
 * Running the same files again adds nothing, and an interrupted run resumes where its last
 * commit ended. `ingest` runs it once; the follower runs it on every pass.
 *
 * @module
 */
import postgres from "postgres";
import { isTransientDbError } from "../db/connect.ts";
import type { Logger } from "../log.ts";
import type { Batch } from "../ingest/batch.ts";
import {
  CheckpointConflictError,
  commitBatch,
  ensurePartitions,
  type WriterContext,
} from "../ingest/commit.ts";
import { addCounts, addExcluded, addReasons, type Counts, zeroCounts } from "../ingest/counts.ts";
import { peekCheckpoint, peekCheckpointNamed } from "./checkpoint.ts";
import { isFinalFile, orderRotatedFiles } from "./file_set.ts";
import { createProgress, type Progress } from "./progress.ts";
import type { BatchCursor, FileReader, TailSource } from "./source.ts";
import { SourceFile } from "./source_file.ts";
import { createZoneClock } from "../time.ts";

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
  /** Lines (dnstap: frames) not stored by the exclusion lists. */
  excluded?: number;
  /** Batches committed. */
  batches: number;
  startOffset: number;
  endOffset: number;
}

/** The result of a run; printed as the last stdout line of `ingest`. */
export interface TailSummary extends Counts {
  pending: number;
  files: FileResult[];
  failedFiles: number;
  /** Batches committed by this run. */
  batches: number;
  seconds: number;
}

/** Options of {@linkcode readFiles}. */
export interface ReadFilesOptions {
  /** What the files are: how to identify and decode them, how to settle their commits. */
  source: TailSource;
  log: Logger;
  /** Show progress on stderr (a terminal). */
  progress?: boolean;
  /** Stop reading when aborted: the batch read so far is committed, the rest is left. */
  signal?: AbortSignal;
  /** A file that no longer exists is skipped quietly (a live follower's listing raced a
   * rotation); otherwise it is a failed file. */
  vanishedOk?: boolean;
}

/** A {@linkcode TailSummary} with nothing read yet. */
export function emptySummary(): TailSummary {
  return { ...zeroCounts(), pending: 0, files: [], failedFiles: 0, batches: 0, seconds: 0 };
}

/** Add the files and counters of `b` into `a` (its `seconds` are left alone). */
export function addSummary(a: TailSummary, b: TailSummary): void {
  addCounts(a, b);
  a.pending += b.pending;
  a.failedFiles += b.failedFiles;
  a.batches += b.batches;
  a.files.push(...b.files);
}

/** Read `paths` (any order; rotated sets are sorted oldest first) with `options.source`. */
export async function readFiles(
  ctx: WriterContext,
  paths: readonly string[],
  options: ReadFilesOptions,
): Promise<TailSummary> {
  const { source } = options;
  const started = performance.now();
  const ordered = orderRotatedFiles(paths);
  const summary = emptySummary();
  const progress = createProgress({ enabled: options.progress ?? false, files: ordered });
  try {
    for (const path of ordered) {
      if (options.signal?.aborted) break;
      const result = await readFileResolvingConflicts(ctx, path, source, options, progress);
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
    if (source.finish && !options.signal?.aborted) summary.rows += await source.finish(ctx);
  } finally {
    progress.done();
  }
  summary.seconds = Math.round(performance.now() - started) / 1000;
  return summary;
}

function emptyResult(path: string): FileResult {
  return {
    ...zeroCounts(),
    path,
    status: "read",
    pending: 0,
    batches: 0,
    startOffset: 0,
    endOffset: 0,
  };
}

/**
 * {@linkcode readFile}, again from the database's checkpoint when another process (a serve
 * following the file an ingest reads, or the reverse; query log and dnstap file alike)
 * committed part of it first: that batch rolled back, so nothing is stored twice and nothing
 * is skipped. The source forgets what it decoded past its last commit. Bounded: each round,
 * one of the processes moved the checkpoint forward.
 */
async function readFileResolvingConflicts(
  ctx: WriterContext,
  path: string,
  source: TailSource,
  options: ReadFilesOptions,
  progress: Progress,
): Promise<FileResult> {
  let total: FileResult | null = null;
  for (let round = 1;; round++) {
    const into = emptyResult(path); // counts what committed even when a later batch fails
    try {
      const r = await readFile(ctx, path, source, options, progress, into);
      return total ? mergeResults(total, r) : r;
    } catch (error) {
      if (error instanceof StartFailure) throw error.cause; // what stopped the migrations
      if (!(error instanceof CheckpointConflictError) || round >= 50) throw error;
      if (options.signal?.aborted) throw error;
      source.reset?.();
      const message = "another process committed this file first; continuing from its checkpoint";
      options.log.info(message, {
        path,
      });
      total = total ? mergeResults(total, into) : into;
      await new Promise((r) => setTimeout(r, 20 * round));
    }
  }
}

/** `b` after `a`: the counts of both, the offsets from `a`'s start to `b`'s end. */
function mergeResults(a: FileResult, b: FileResult): FileResult {
  const m = { ...b, startOffset: a.startOffset, reasons: { ...b.reasons } };
  addCounts(m, a); // the reasons too
  m.batches += a.batches;
  return m;
}

async function readFile(
  ctx: WriterContext,
  path: string,
  source: TailSource,
  options: ReadFilesOptions,
  progress: Progress,
  result: FileResult = emptyResult(path),
): Promise<FileResult> {
  const commits = new CommitQueue(ctx, source, result);
  let file: SourceFile | null = null;
  let cursor: Cursor | null = null;
  let reader: FileReader | null = null;
  try {
    file = await SourceFile.open(path, { blockBytes: source.blockBytes });
    const final = isFinalFile(path, file.mtime, Date.now());
    const fingerprint = await source.fingerprint(file, { final });
    if (fingerprint === null) {
      // Nothing that identifies it yet: empty, or its first record is still being written
      // (a rotated file has nothing more coming: an empty `.gz`).
      if (file.size === 0 || final) result.status = "empty";
      else {
        result.pending = 1;
        if (source.countPending) result.lines = 1;
      }
      return result;
    }
    const start = (await readTo(ctx, fingerprint)) ?? 0;
    result.startOffset = result.endOffset = start;
    progress.file(path, file.size, start);
    cursor = new Cursor(
      source.newBatch({ path, fingerprint, startOffset: start }),
      source,
      commits,
    );
    reader = source.reader(file, start);
    let records = 0;
    let aborted = false;
    for await (const block of file.blocks(start)) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      records += await reader.push(block, cursor);
      progress.advance(cursor.batch.endOffset, records);
    }
    // An abort leaves the rest unread: what is after the offset is not known to be final.
    if (!aborted && (await reader.end(cursor, final)).pendingBytes > 0) {
      result.pending = 1;
      if (source.countPending) {
        result.lines++;
      }
    }
    if (cursor.batch.endOffset > cursor.batch.source.startOffset) {
      await commits.submit(cursor.batch);
    }
    await commits.drain();
    return result;
  } catch (error) {
    if (error instanceof StartFailure) throw error; // the run ends (see readFileResolvingConflicts)
    if (isDatabaseFailure(error)) {
      await commits.settle();
      throw error;
    }
    await commits.drain();
    if (options.vanishedOk && error instanceof Deno.errors.NotFound && !file) {
      result.status = "vanished";
      return result;
    }
    // A read error part-way (a corrupt gzip tail, a broken frame): keep what was read.
    if (cursor && reader?.flush) await reader.flush(cursor).catch(() => {});
    const batch = cursor?.batch;
    if (batch && batch.endOffset > batch.source.startOffset) {
      await commits.submit(batch);
      await commits.drain();
    }
    result.status = "failed";
    result.error = describeReadError(path, error);
    return result;
  } finally {
    file?.close();
  }
}

/** The batch being filled; a cut hands it to the commit queue and starts the next. */
class Cursor implements BatchCursor {
  batch: Batch;
  #source: TailSource;
  #commits: CommitQueue;

  constructor(batch: Batch, source: TailSource, commits: CommitQueue) {
    this.batch = batch;
    this.#source = source;
    this.#commits = commits;
  }

  async cut(): Promise<void> {
    const full = this.batch;
    await this.#commits.submit(full);
    this.batch = this.#source.newBatch({ ...full.source, startOffset: full.endOffset });
  }
}

/** Batches read ahead while the database is being prepared (the migrations of a new install). */
const HELD_BATCHES = 4;

/**
 * Commits of one file: up to `commitsInFlight` run while the next batch is decoded (the
 * decoder and the database use different cores, and COPYs on several connections run at
 * once); batches still commit strictly in order (commit.ts), and their results are taken
 * in order.
 */

class CommitQueue {
  #inflight: Promise<void>[] = [];
  /** Batches read while the database is being prepared (WriterContext.ready), in order. */
  #held: Batch[] = [];
  #ctx: WriterContext;
  #source: TailSource;
  #result: FileResult;

  constructor(ctx: WriterContext, source: TailSource, result: FileResult) {
    this.#ctx = ctx;
    this.#source = source;
    this.#result = result;
  }

  /**
   * Start committing `batch` after the batches before it, once a commit may start. While the
   * database is being prepared, up to four batches (or `commitsInFlight`) wait here and reading
   * goes on.
   */
  async submit(batch: Batch): Promise<void> {
    this.#source.seal?.(batch);
    if (
      this.#ctx.ready && this.#held.length < Math.max(HELD_BATCHES, this.#source.commitsInFlight)
    ) {
      this.#held.push(batch);
      return;
    }
    await this.#startHeld();
    await this.#start(batch);
  }

  async #startHeld(): Promise<void> {
    while (this.#held.length > 0) await this.#start(this.#held.shift()!);
  }

  async #start(batch: Batch): Promise<void> {
    // A day without its partition: made while no commit of the file is in flight. Making it
    // locks dns_query_blocks exclusively, so it waits for every open transaction that copied
    // rows into a partition; those wait here, in order, for the batch before them, whose next
    // statement queues behind the exclusive lock: a deadlock the server cannot see (one side
    // waits in this process). Seen with four batches in flight over midnight.
    const ctx = this.#ctx;
    if (ctx.ready) await ctx.ready.catch((error) => Promise.reject(new StartFailure(error)));
    if (!ctx.store && [...batch.days].some((d) => !ctx.knownDays.has(d))) {
      await this.#drainInflight();
      await ensurePartitions(ctx, partitionDays(batch, ctx.tz)).catch(() => {}); // commitBatch retries it
    }
    if (this.#inflight.length >= this.#source.commitsInFlight) await this.#inflight.shift();
    const p = this.#commit(batch, this.#inflight.at(-1));
    p.catch(() => {}); // surfaced by drain() or the next submit()
    this.#inflight.push(p);
  }

  /** Commit every batch and wait for it; throws the first failure. */
  async drain(): Promise<void> {
    await this.#startHeld();
    await this.#drainInflight();
  }

  async #drainInflight(): Promise<void> {
    while (this.#inflight.length > 0) await this.#inflight.shift();
  }

  /** Let every running commit finish (or fail) before giving up on the file. */
  async settle(): Promise<void> {
    this.#held = [];
    await Promise.allSettled(this.#inflight.splice(0));
  }

  async #commit(batch: Batch, after: Promise<void> | undefined): Promise<void> {
    const outcome = await commitBatch(this.#ctx, batch, { after, settle: this.#source.settle });
    batch.release();
    const c = batch.counts;
    const r = this.#result;
    r.endOffset = batch.endOffset;
    r.lines += c.lines;
    if (outcome === "committed") {
      r.rows += c.rows + batch.settledRows;
      r.batches++;
      r.errorLines += c.errorLines;
    }
    r.rejected += c.rejected;
    r.skipped += c.skipped;
    addExcluded(r, c);
    addReasons(r.reasons, c.reasons);
  }
}

/**
 * The days whose partitions `batch` needs, and the next day when its last row is within an hour
 * of that day's start: the log goes on past midnight, and its batches then commit without a
 * wait for every commit in flight (an old day's lines far from midnight make no partition that
 * retention would drop at once).
 */
function partitionDays(batch: Batch, tz: string): number[] {
  const days = [...batch.days];
  const last = Math.max(...days);
  const nextStart = createZoneClock(tz).toEpoch((last + 1) * DAY_MS);
  if (nextStart - batch.maxAt <= HOUR_MS) days.push(last + 1);
  return days;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Where the file `fingerprint` was read to: null when it never was. */
async function readTo(ctx: WriterContext, fingerprint: string): Promise<number | null> {
  if (ctx.store) return await ctx.store.peek(fingerprint);
  // While the database is being prepared, by node name (nothing on a new install); the first
  // commit checks it under its lock all the same. When that read fails, the preparation is
  // waited for (it reports a fault as the run always did) and the checkpoint read by id.
  const ready = ctx.ready;
  if (ready && ctx.nodeName !== undefined) {
    try {
      return await peekCheckpointNamed(ctx.sql, { node: ctx.nodeName, fingerprint });
    } catch {
      await ready.catch((error) => Promise.reject(new StartFailure(error)));
    }
  }
  return await peekCheckpoint(ctx.sql, { nodeId: ctx.nodeId, fingerprint });
}

/** The database could not be prepared for the run (WriterContext.ready): the run ends. */
class StartFailure extends Error {
  constructor(override readonly cause: unknown) {
    super("the database could not be prepared", { cause });
  }
}

/** A failure of the database (the follower pauses and retries), not of the file. */
function isDatabaseFailure(error: unknown): boolean {
  return error instanceof postgres.PostgresError || error instanceof CheckpointConflictError ||
    isTransientDbError(error);
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
  return `Cannot read "${path}": ${msg.replace(`${path}: `, "")}`;
}
