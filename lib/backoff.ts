/**
 * The one retry schedule of the program (a batch commit, a follower's pass, the dnstap
 * socket, the wait for a database at start): 250 ms doubling to 10 s, each wait spread by
 * ±25 % so that processes cut off together do not come back in step. The bound is short
 * because a database back from a fault (a restart, space freed, writes accepted again) should
 * be used again within seconds.
 *
 * @module
 */

/** Longest wait between two attempts, ms (before jitter). */
export const BACKOFF_MAX_MS = 10_000;

/** Options of {@linkcode backoffMs}. */
export interface BackoffOptions {
  /** Wait after the first failure, ms. Default 250. */
  baseMs?: number;
  /** Longest wait, ms. Default {@linkcode BACKOFF_MAX_MS}. */
  maxMs?: number;
  /** false: no jitter (the plain schedule). */
  jitter?: boolean;
  /** The random source of the jitter, [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * The wait after `failures` failed attempts in a row (1 for the first): 250, 500, 1000 … ms,
 * at most 10 s, times a random factor in [0.75, 1.25), rounded to whole ms.
 *
 * @example
 * ```ts
 * import { backoffMs } from "./backoff.ts";
 * const waits = [1, 2, 3, 10].map((n) => backoffMs(n, { jitter: false }));
 * // [250, 500, 1000, 10000]
 * ```
 */
export function backoffMs(failures: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? BACKOFF_MAX_MS;
  const plain = Math.min(max, base * 2 ** Math.min(Math.max(failures - 1, 0), 20));
  if (options.jitter === false) return plain;
  return Math.round(plain * (0.75 + (options.random ?? Math.random)() / 2));
}
