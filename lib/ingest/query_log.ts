/**
 * The query log as a tail source: BIND's query log and query-errors log (and response
 * lines of BIND ≥ 9.20.3), read as lines into batches of rows, error lines and rejects.
 * Common query lines go from bytes straight into the batch (fast_query.ts); the others are
 * parsed. The settle step of a commit is the query-errors join (error_matcher.ts).
 *
 * @module
 */
import { apexDomain, normalizeDomain } from "../domain.ts";
import { parseBindLine } from "../parse/bind_line.ts";
import type { ClientLine } from "../parse/types.ts";
import { createZoneClock, resolveYearless, type ZoneClock } from "../time.ts";
import { fingerprintLog } from "../tail/fingerprint.ts";
import { follow, type FollowOptions, type FollowStats } from "../tail/follower.ts";
import { readFiles, type ReadFilesOptions, type TailSummary } from "../tail/pipeline.ts";
import { type FastLine, LineSplitter, type RawReject } from "../tail/line_reader.ts";
import type { BatchCursor, FileReader, TailSource } from "../tail/source.ts";
import { EMBEDDED_BLOCK, type SourceFile } from "../tail/source_file.ts";
import { Batch } from "./batch.ts";
import type { WriterContext } from "./commit.ts";
import { settleQueryErrors } from "./error_matcher.ts";
import { FastQueryPath } from "./fast_query.ts";
import { countExcluded } from "./counts.ts";
import type { PrivacyPolicy } from "../privacy/policy.ts";
import { privateErrorLine, privateQuery } from "../privacy/ingest_hook.ts";

/** Options of {@linkcode queryLogSource}. */
export interface QueryLogOptions {
  /** Rows (or error lines) per batch (bounded memory, one transaction each). Default 50 000. */
  batchRows?: number;
  /** Rejected-line samples kept per reason per run. Default 5. */
  samplesPerReason?: number;
}

const ENCODER = new TextEncoder();

/** Batches committing at once (one connection each; measured best with 50 000-row batches). */
const COMMITS_IN_FLIGHT = 4;

/** Longer lines are rejected as `too_long`. */
const MAX_LINE_BYTES = 65_536;

/** Shared per-run state of the line handler. */
interface RunState {
  clock: ZoneClock;
  nodeId: number;
  /** The byte-level path for common query lines; null for column batches. */
  fast: FastQueryPath | null;
  names: Map<string, { domain: string; apex: string }>;
  samplesLeft: Map<string, number>;
  samplesPerReason: number;
  /** Wall-clock time of the file being read, the reference for year-less syslog times. */
  refWall: number;
  /** What is stored of clients and names (lib/privacy/); null when it changes nothing. */
  privacy: PrivacyPolicy | null;
}

/** The query log source of one run (reject samples and the name cache are per run). */
export function queryLogSource(ctx: WriterContext, options: QueryLogOptions = {}): TailSource {
  const clock = createZoneClock(ctx.tz);
  // Straight into blocks on PostgreSQL; rows for the embedded database and the bus.
  const format = ctx.copy === false ? "columns" : ctx.store ? "binary" : "blocks";
  const privacy = ctx.privacy?.active ? ctx.privacy : null;
  const state: RunState = {
    clock,
    nodeId: ctx.nodeId,
    fast: ctx.copy === false ? null : new FastQueryPath({ clock, nodeId: ctx.nodeId, privacy }),
    names: new Map(),
    samplesLeft: new Map(),
    samplesPerReason: options.samplesPerReason ?? 5,
    refWall: Date.now(),
    privacy,
  };
  const batchRows = options.batchRows ?? 50_000;
  return {
    blockBytes: ctx.copy === false ? EMBEDDED_BLOCK : undefined,
    commitsInFlight: COMMITS_IN_FLIGHT,
    countPending: true,
    fingerprint: (file, { final }) => fingerprintLog(file, { final }),
    newBatch: (source) => new Batch(source, { format }),
    reader(file, start) {
      state.refWall = state.clock.toWall(file.mtime?.getTime() ?? Date.now());
      return new LineReader(state, start, batchRows);
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
  return await readFiles(ctx, paths, { ...options, source: queryLogSource(ctx, options) });
}

/** Follow the query log and the query-errors log (see lib/tail/follower.ts). */
export async function followQueryLog(
  ctx: WriterContext,
  options: Omit<FollowOptions, "source"> & QueryLogOptions,
): Promise<FollowStats> {
  return await follow(ctx, { ...options, source: () => queryLogSource(ctx, options) });
}

/** Lines of one file into batches. */
class LineReader implements FileReader {
  #state: RunState;
  #splitter: LineSplitter;
  #batchRows: number;
  #fast: FastLine | undefined;
  /** The batch the fast path adds to (the cursor's, as of the block being split). */
  #current: { batch: Batch | null } = { batch: null };

  constructor(state: RunState, start: number, batchRows: number) {
    this.#state = state;
    this.#splitter = new LineSplitter(start, MAX_LINE_BYTES);
    this.#batchRows = batchRows;
    const fastPath = state.fast;
    const current = this.#current;
    // Common query lines go from bytes straight into the batch (binary batches only).
    this.#fast = fastPath
      ? (d: Uint8Array, s: number, limit: number) => {
        const batch = current.batch!;
        const end = fastPath.tryLine(d, s, limit, batch);
        if (end >= 0) batch.counts.lines++;
        return end;
      }
      : undefined;
  }

  async push(block: Uint8Array, cursor: BatchCursor): Promise<number> {
    this.#current.batch = cursor.batch;
    const out = this.#splitter.push(block, this.#fast);
    if (out.lines === 0) return 0;
    this.#take(out, cursor.batch);
    const batch = cursor.batch;
    if (batch.counts.rows >= this.#batchRows || batch.errors.length >= this.#batchRows) {
      await cursor.cut();
    }
    return out.lines;
  }

  end(cursor: BatchCursor, final: boolean): { pendingBytes: number } {
    if (!final) return { pendingBytes: this.#splitter.end().pendingBytes };
    const out = this.#splitter.endFinal();
    if (out.lines > 0) this.#take(out, cursor.batch);
    return { pendingBytes: 0 };
  }

  #take(out: ReturnType<LineSplitter["push"]>, batch: Batch): void {
    const { items, starts } = out;
    for (let i = 0; i < items.length; i++) handleLine(batch, items[i], starts[i], this.#state);
    batch.endOffset = out.end;
  }
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

function resolveTime(p: ClientLine, state: RunState): [number, number] {
  if (p.zoned) return [p.time, state.clock.toWall(p.time)];
  const wall = p.yearless ? resolveYearless(p.time, state.refWall) : p.time;
  return [state.clock.toEpoch(wall), wall];
}

const COPY_DECODER = new TextDecoder();

/**
 * A copy of `s` that shares no memory with it. Substrings in V8 can be views of the string
 * they were cut from; a cached name cut from a line would keep that line's whole 1 MiB read
 * block alive, and the cache would pin most of a large file in memory.
 */
function detached(s: string): string {
  return COPY_DECODER.decode(ENCODER.encode(s));
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
  // A sample holds the line's addresses as the policy stores them, never more.
  const sample = left <= 0
    ? new Uint8Array()
    : state.privacy
    ? state.privacy.redactSample(bytes())
    : bytes();
  batch.addReject({ reason, byteOffset: offset, length, sample }, left > 0);
}

/** Decide one line and add it to the batch. */
function handleLine(
  batch: Batch,
  item: string | RawReject,
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
      const v = state.privacy ? privateQuery(state.privacy, p, n) : { q: p, domain: n.domain };
      if (v === null) return countExcluded(batch.counts);
      const ok = batch.addQuery(v.q, Math.floor(wall / 86_400_000), {
        at,
        domain: v.domain,
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
      const n = p.qname === "" ? null : names(state, p.qname);
      const v = state.privacy
        ? privateErrorLine(state.privacy, p, n?.domain ?? null, () => n?.apex ?? null)
        : { e: p, domain: n?.domain ?? null };
      if (v === null) return countExcluded(batch.counts);
      if (!batch.addError(v.e, at, Math.floor(wall / 86_400_000), v.domain, offset)) {
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
