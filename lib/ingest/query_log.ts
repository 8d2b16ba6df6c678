/**
 * The query log as a tail source: BIND's query log and query-errors log (and response
 * lines of BIND ≥ 9.20.3), read as lines into batches of rows, error lines and rejects.
 * Common query lines go from bytes straight into the batch (fast_query.ts); the others are
 * parsed. The settle step of a commit is the query-errors join (error_matcher.ts).
 *
 * @module
 */
import { fingerprintLog } from "../tail/fingerprint.ts";
import { follow, type FollowOptions, type FollowStats } from "../tail/follower.ts";
import { readFiles, type ReadFilesOptions, type TailSummary } from "../tail/pipeline.ts";
import type { TailSource } from "../tail/source.ts";
import { EMBEDDED_BLOCK, type SourceFile } from "../tail/source_file.ts";
import { Batch } from "./batch.ts";
import type { WriterContext } from "./commit.ts";
import { settleQueryErrors } from "./error_matcher.ts";
import { createRunState, LineReader } from "./line_handler.ts";
import { ParseThread } from "./parse_thread.ts";

/** Options of {@linkcode queryLogSource}. */
export interface QueryLogOptions {
  /** Rows (or error lines) per batch (bounded memory, one transaction each). Default 50 000. */
  batchRows?: number;
  /** Rejected-line samples kept per reason per run. Default 5. */
  samplesPerReason?: number;
  /** Parse on this thread instead of the main one (see {@linkcode ingestLogFiles}). */
  thread?: ParseThread | null;
  /**
   * Make the last batches of a plain file smaller (one-shot ingest: the server's work left at
   * the last line is a small batch's; see LineReader).
   */
  taper?: boolean;
}

/** Cores the machine needs for ingest to parse on a thread of its own. */
const PARSE_THREAD_MIN_CORES = 4;

/**
 * Batches committing at once (one connection each, 50 000-row batches). On two cores the
 * server's backends and the parsing thread share them: with four COPYs running, the main
 * thread waited ~0.3 s of a 1 M-line backfill for a core; two measured 3–4 % faster end to end
 * and 6 % less CPU (lib/ingest/README.md). Where the parsing has a thread of its own, four.
 */
function commitsInFlight(): number {
  return (navigator.hardwareConcurrency ?? 1) >= PARSE_THREAD_MIN_CORES ? 4 : 2;
}

/** The query log source of one run (reject samples and the name cache are per run). */
export function queryLogSource(ctx: WriterContext, options: QueryLogOptions = {}): TailSource {
  // Straight into blocks on PostgreSQL; rows for the embedded database and the bus.
  const format = ctx.copy === false ? "columns" : ctx.store ? "binary" : "blocks";
  const state = createRunState({
    tz: ctx.tz,
    nodeId: ctx.nodeId,
    fast: ctx.copy !== false,
    privacy: ctx.privacy?.active ? ctx.privacy : null,
    samplesPerReason: options.samplesPerReason,
  });
  const thread = format === "blocks" && !state.privacy ? options.thread : null;
  const batchRows = options.batchRows ?? 50_000;
  return {
    blockBytes: ctx.copy === false ? EMBEDDED_BLOCK : undefined,
    commitsInFlight: commitsInFlight(),
    countPending: true,
    fingerprint: (file, { final }) => fingerprintLog(file, { final }),
    newBatch: (source) => new Batch(source, { format }),
    reader(file, start) {
      const taperEnd = options.taper && !file.gzip ? file.size : Infinity;
      if (thread) return thread.reader(file, start, batchRows, taperEnd);
      state.refWall = state.clock.toWall(file.mtime?.getTime() ?? Date.now());
      return new LineReader(state, start, batchRows, taperEnd);
    },
    settle: settleQueryErrors,
    recordsEnd: lastLineEnd,
  };
}

/** Import query logs and query-errors logs once (see lib/tail/pipeline.ts). */
export async function ingestLogFiles(
  ctx: WriterContext,
  paths: readonly string[],
  options: Omit<ReadFilesOptions, "source"> & QueryLogOptions,
): Promise<TailSummary> {
  // Into PostgreSQL's blocks, parsing runs on a thread of its own (lib/ingest/parse_thread.ts)
  // where there are cores to spare: on two, shared with PostgreSQL, the thread's own cost (a
  // second isolate, the hand-overs: ~0.4 s of CPU per 1 M lines) outweighed the overlap.
  const cores = navigator.hardwareConcurrency ?? 1;
  const thread = cores >= PARSE_THREAD_MIN_CORES && ctx.copy !== false && !ctx.store &&
      !ctx.privacy?.active
    ? new ParseThread({
      tz: ctx.tz,
      nodeId: ctx.nodeId,
      samplesPerReason: options.samplesPerReason,
    })
    : null;
  try {
    const source = queryLogSource(ctx, { ...options, thread, taper: true });
    return await readFiles(ctx, paths, { ...options, source });
  } finally {
    thread?.close();
  }
}

/** Follow the query log and the query-errors log (see lib/tail/follower.ts). */
export async function followQueryLog(
  ctx: WriterContext,
  options: Omit<FollowOptions, "source"> & QueryLogOptions,
): Promise<FollowStats> {
  return await follow(ctx, { ...options, source: () => queryLogSource(ctx, options) });
}

/** The offset after the last newline of `file` (uncompressed bytes); its end when `final`. */
async function lastLineEnd(file: SourceFile, final: boolean): Promise<number> {
  let pos = 0, end = 0;
  for await (const block of file.blocks(0)) {
    const nl = block.lastIndexOf(10);
    if (nl >= 0) end = pos + nl + 1;
    pos += block.length;
  }
  return final ? pos : end;
}
