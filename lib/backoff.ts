/**
 * The one retry schedule of the program (a batch commit, a follower's pass, the wait for a
 * database at start): 500 ms doubling to 30 s, each wait spread by ±25 % so that processes
 * cut off together do not come back in step.
 *
 * @module
 */

/** Longest wait between two attempts, ms. */
export const BACKOFF_MAX_MS = 30_000;

/**
 * The wait before retry number `retry` (0 for the first retry): 500, 1000, 2000 … ms, at
 * most 30 s, times a random factor in [0.75, 1.25).
 *
 * @example
 * ```ts
 * import { backoffMs } from "./backoff.ts";
 * const waits = [0, 1, 2, 10].map((n) => backoffMs(n, { jitter: false }));
 * // [500, 1000, 2000, 30000]
 * ```
 */
export function backoffMs(retry: number, options: { jitter?: boolean } = {}): number {
  const base = Math.min(BACKOFF_MAX_MS, 500 * 2 ** Math.min(Math.max(retry, 0), 6));
  return options.jitter === false ? base : base * (0.75 + Math.random() / 2);
}
