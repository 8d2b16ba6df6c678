/**
 * What reading counted: lines (or frames), rows stored, query-errors lines, lines skipped on
 * purpose, and rejected lines by reason. A batch counts, a file's result adds its batches up,
 * a run adds its files up, and a follower adds its passes up, all with {@linkcode addCounts}.
 *
 * @module
 */

/** Counters of one batch (and, summed, of a file, a run, a follower). */
export interface Counts {
  lines: number;
  rows: number;
  errorLines: number;
  skipped: number;
  rejected: number;
  reasons: Record<string, number>;
  /** Lines (dnstap: frames) not stored by DNSA_EXCLUDE_CLIENTS / DNSA_EXCLUDE_DOMAINS. */
  excluded?: number;
}

/** Fresh zeroed {@linkcode Counts}. */
export function zeroCounts(): Counts {
  return { lines: 0, rows: 0, errorLines: 0, skipped: 0, rejected: 0, reasons: {} };
}

/** Add the rejects by reason of `from` into `into`. */
export function addReasons(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Add `b` into `a`. */
export function addCounts(a: Counts, b: Counts): void {
  a.lines += b.lines;
  a.rows += b.rows;
  a.errorLines += b.errorLines;
  a.skipped += b.skipped;
  a.rejected += b.rejected;
  addExcluded(a, b);
  addReasons(a.reasons, b.reasons);
}

/** Add the excluded lines of `from` into `into` (absent counts as 0). */
export function addExcluded(into: { excluded?: number }, from: { excluded?: number }): void {
  if (from.excluded) into.excluded = (into.excluded ?? 0) + from.excluded;
}

/** Count one excluded line (or dnstap frame) into `counts`. */
export function countExcluded(counts: { excluded?: number }): void {
  counts.excluded = (counts.excluded ?? 0) + 1;
}
