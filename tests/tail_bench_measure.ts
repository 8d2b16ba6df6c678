/**
 * The live-tail benchmark's arithmetic (tests/tail_bench.ts): when each written line was
 * committed, from the checkpoint advances the benchmark polled; the delay distribution; the
 * backlog when writing stopped; and whether a rate was sustained.
 *
 * A row and its file's checkpoint (`ingest_checkpoints`: fingerprint, byte offset) commit in
 * one transaction, so a line is committed exactly when its file's checkpoint first reaches
 * the byte offset after it. A poll sees each checkpoint as of its snapshot, taken between the
 * poll's send and its answer (that midpoint is the poll's time); a checkpoint first seen at
 * an offset by poll p moved there after poll p-1: its commit time is taken as the midpoint of
 * the two polls' times, off by at most half the gap between polls.
 *
 * @module
 */

/** A checkpoint first seen at `offset` by a poll at `by`; the poll before it was at `after`. */
export interface CheckpointAdvance {
  after: number;
  by: number;
  offset: number;
}

/** A write of lines, all visible in their file from `at` (epoch ms) on. */
export interface LineChunk {
  file: number;
  at: number;
  /** Byte offset after each line, in its file. */
  ends: Uint32Array;
}

/** Records each poll's checkpoints as the advances of each fingerprint. */
export class CheckpointLog {
  readonly advances = new Map<string, CheckpointAdvance[]>();
  #last = new Map<string, number>();
  #lastPoll: number | null = null;
  polls = 0;
  #gapSum = 0;
  #gapMax = 0;

  /** A poll sent at `sent`, answered at `answered`, saw these checkpoints. */
  record(sent: number, answered: number, seen: Iterable<[string, number]>): void {
    const by = (sent + answered) / 2;
    const after = this.#lastPoll ?? by;
    for (const [fingerprint, offset] of seen) {
      if (offset <= (this.#last.get(fingerprint) ?? 0)) continue;
      this.#last.set(fingerprint, offset);
      let list = this.advances.get(fingerprint);
      if (!list) this.advances.set(fingerprint, list = []);
      list.push({ after, by, offset });
    }
    if (this.#lastPoll !== null) {
      this.#gapSum += by - this.#lastPoll;
      this.#gapMax = Math.max(this.#gapMax, by - this.#lastPoll);
    }
    this.#lastPoll = by;
    this.polls++;
  }

  /** The offset a fingerprint's checkpoint was last seen at (0 when never). */
  offset(fingerprint: string): number {
    return this.#last.get(fingerprint) ?? 0;
  }

  /** Mean and largest time between polls, ms. */
  get gaps(): { mean: number; max: number } {
    return { mean: this.polls > 1 ? this.#gapSum / (this.polls - 1) : 0, max: this.#gapMax };
  }
}

/** Per-line commit delays and the backlog at an instant. */
export interface LineDelays {
  /** Write→commit delay of every committed line, ms, ascending. */
  delays: Float64Array;
  /** Lines never seen committed. */
  uncommitted: number;
  /** Lines written by `backlogAt` and not committed by then. */
  backlog: number;
}

/**
 * The write→commit delay of every line of `chunks` (files identified by `fingerprints`,
 * indexed by `chunk.file`), and the lines written but not committed at `backlogAt`.
 */
export function lineDelays(
  chunks: readonly LineChunk[],
  options: { fingerprints: readonly string[]; log: CheckpointLog; backlogAt: number },
): LineDelays {
  let lines = 0;
  for (const c of chunks) lines += c.ends.length;
  const delays = new Float64Array(lines);
  let n = 0, uncommitted = 0, backlog = 0;
  // Lines of a file are written in offset order, and its advances are in offset order.
  const cursor = new Map<number, number>();
  for (const c of chunks) {
    const advances = options.log.advances.get(options.fingerprints[c.file]) ?? [];
    let i = cursor.get(c.file) ?? 0;
    for (const end of c.ends) {
      while (i < advances.length && advances[i].offset < end) i++;
      if (i >= advances.length) {
        uncommitted++;
        if (c.at <= options.backlogAt) backlog++;
        continue;
      }
      const committed = (advances[i].after + advances[i].by) / 2;
      delays[n++] = Math.max(0, committed - c.at);
      if (c.at <= options.backlogAt && committed > options.backlogAt) backlog++;
    }
    cursor.set(c.file, i);
  }
  const out = delays.subarray(0, n);
  out.sort();
  return { delays: out, uncommitted, backlog };
}

/** The `q` quantile (0…1) of ascending `sorted` (nearest rank); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** What decides whether a rate was sustained. */
export interface TrialOutcome {
  /** Lines per second asked of the writer, and lines it was due to write (warm-up included). */
  rate: number;
  due: number;
  /** Lines per second the writer wrote: its lines over the time from its start to its last write. */
  offered: number;
  /** Lines written, and rows stored at the end. */
  written: number;
  stored: number;
  /** Every checkpoint reached the end of its file before the benchmark stopped waiting. */
  drained: boolean;
  /** Lines written by the end of writing and not committed by then. */
  backlog: number;
}

/** How a run at one rate went (see {@linkcode judgeTrial}). */
export type Verdict = "sustained" | "lost" | "behind" | "writer-bound";

/**
 * Sustained: every line written is stored (nothing lost, nothing twice), and when the writer
 * stopped, the lines not yet committed were less than one second of input (`backlog <
 * rate`). A follower slower than its input falls further behind every second, so over a run
 * of S seconds its backlog grows to S × (rate − capacity): a run of 20 s tells a shortfall of
 * 5 % from keeping up. A writer that could not write what was due (`written < 0.99 × due`)
 * or fell behind its schedule (`offered < 0.98 × rate`: on a loaded machine the writer needs
 * the CPU that serve and PostgreSQL use) did not offer the rate, so the run says nothing
 * about it (`writer-bound`).
 */
export function judgeTrial(t: TrialOutcome): Verdict {
  if (t.drained && t.stored !== t.written) return "lost";
  if (t.backlog >= t.rate || !t.drained) return "behind";
  if (t.written < 0.99 * t.due || t.offered < 0.98 * t.rate) return "writer-bound";
  return "sustained";
}

/**
 * The next rate of the search for the largest sustained rate, or null when done: up by half
 * until a rate fails, then bisect (geometric mean) until the failing rate is within 10 % of the
 * sustained one; down by half from `start` while nothing is sustained. `sustained` and
 * `failed` are the rates tried so far; rates are multiples of `step` (default 1000).
 */
export function nextRate(
  sustained: readonly number[],
  failed: readonly number[],
  options: { start: number; step?: number },
): number | null {
  const lo = sustained.length ? Math.max(...sustained) : null;
  const above = failed.filter((r) => lo === null || r > lo);
  const hi = above.length ? Math.min(...above) : null;
  const step = options.step ?? 1000;
  const round = (r: number) => Math.max(step, Math.round(r / step) * step);
  if (lo === null) {
    if (hi === null) return round(options.start);
    const r = round(hi / 2);
    return r < hi ? r : null;
  }
  if (hi === null) return round(lo * 1.5);
  if (hi / lo <= 1.1) return null;
  const r = round(Math.sqrt(lo * hi));
  return r > lo && r < hi ? r : null;
}
