/**
 * Lists of integers the rollup grows without boxing (clients of a domain, latencies of an
 * hour), and the latency columns computed from one.
 *
 * @module
 */
import type { Cell } from "./write_table.ts";

/** Latency histogram: bucket i holds latencies in [2^(i/4), 2^((i+1)/4)) µs (0 for 0-1 µs). */
export const LATENCY_BUCKETS_PER_OCTAVE = 4;

/** A growable list of non-negative integers. */
export class IntList {
  values: Int32Array;
  n = 0;
  constructor(capacity = 64) {
    this.values = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.n === this.values.length) {
      const next = new Int32Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.n++] = v;
  }
}

/** Exact nearest-rank percentiles and the log-scale histogram (null columns without values). */
export function latencyColumns(l: IntList): Cell[] {
  if (l.n === 0) return [null, null, null, "0", null];
  const v = l.values.subarray(0, l.n).sort();
  const at = (p: number) => String(v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)]);
  const hist: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const b = v[i] <= 1 ? 0 : Math.floor(LATENCY_BUCKETS_PER_OCTAVE * Math.log2(v[i]));
    while (hist.length <= b) hist.push(0);
    hist[b]++;
  }
  return [at(0.5), at(0.95), at(0.99), String(v.length), `{${hist.join(",")}}`];
}
