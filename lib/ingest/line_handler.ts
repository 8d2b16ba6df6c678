/**
 * The query log's lines decided one by one into a batch: the reader of one file (common
 * query lines straight from bytes by the fast path, the others parsed), shared by the main
 * thread and the parsing thread (lib/ingest/parse_worker.ts).
 *
 * @module
 */
import { apexDomain, normalizeDomain } from "../domain.ts";
import { parseBindLine } from "../parse/bind_line.ts";
import type { ClientLine } from "../parse/types.ts";
import { createZoneClock, resolveYearless, type ZoneClock } from "../time.ts";
import { type FastLine, LineSplitter, type RawReject } from "../tail/line_reader.ts";
import type { BatchCursor, FileReader } from "../tail/source.ts";
import type { Batch } from "./batch.ts";
import { FastQueryPath } from "./fast_query.ts";
import { warmUpOnce } from "./warm_up.ts";
import { countExcluded } from "./counts.ts";
import type { PrivacyPolicy } from "../privacy/policy.ts";
import { privateErrorLine, privateQuery } from "../privacy/ingest_hook.ts";

const ENCODER = new TextEncoder();

/** Longer lines are rejected as `too_long`. */
export const MAX_LINE_BYTES = 65_536;

/** Shared per-run state of the line handler (reject samples and the name caches are per run). */
export interface RunState {
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

/** The state of one run of the query log in zone `tz` for node `nodeId`. */
export function createRunState(
  options: {
    tz: string;
    nodeId: number;
    fast: boolean;
    privacy: PrivacyPolicy | null;
    samplesPerReason?: number;
  },
): RunState {
  const clock = createZoneClock(options.tz);
  const { nodeId, privacy } = options;
  if (options.fast) warmUpOnce(clock, nodeId, privacy);
  return {
    clock,
    nodeId,
    fast: options.fast ? new FastQueryPath({ clock, nodeId, privacy }) : null,
    names: new Map(),
    samplesLeft: new Map(),
    samplesPerReason: options.samplesPerReason ?? 5,
    refWall: Date.now(),
    privacy,
  };
}

/** Rows of the smallest batch the taper near a file's end cuts (see LineReader). */
const TAPER_MIN_ROWS = 4096;

/** Lines of one file into batches. */
export class LineReader implements FileReader {
  #state: RunState;
  #splitter: LineSplitter;
  #batchRows: number;
  /** Where the file ends as it was opened (plain files), for the last batches' sizes. */
  #taperEnd: number;
  /** A full batch was cut: the file is long enough to taper. */
  #cutFull = false;
  #fast: FastLine | undefined;
  /** The batch the fast path adds to (the cursor's, as of the block being split). */
  #current: { batch: Batch | null } = { batch: null };

  /**
   * `taperEnd`: the size of a plain file as opened (Infinity when unknown, as for gzip): the
   * batches near it get smaller (see {@linkcode push}).
   */
  constructor(state: RunState, start: number, batchRows: number, taperEnd = Infinity) {
    this.#state = state;
    this.#splitter = new LineSplitter(start, MAX_LINE_BYTES);
    this.#batchRows = batchRows;
    this.#taperEnd = taperEnd;
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
    const full = batch.counts.rows >= this.#batchRows || batch.errors.length >= this.#batchRows;
    if (full || this.#tapered(batch)) {
      this.#cutFull ||= full;
      await cursor.cut();
    }
    return out.lines;
  }

  /**
   * Near the end of a file the batches halve: once a full batch was cut (a file of one batch is
   * read as one), a batch of at least TAPER_MIN_ROWS rows is cut as soon as the rest of the file
   * holds no more bytes than it took. The server's work left when the
   * last line is read is then that of a small batch rather than a whole one (a backfill's
   * last commit was a tenth of its time).
   */
  #tapered(batch: Batch): boolean {
    const rows = batch.counts.rows;
    if (rows < TAPER_MIN_ROWS || this.#taperEnd === Infinity || !this.#cutFull) return false;
    const read = batch.endOffset - batch.source.startOffset;
    return this.#taperEnd - batch.endOffset <= read;
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
