import assert from "node:assert/strict";
import { CheckpointLog, judgeTrial, lineDelays, nextRate, quantile } from "./tail_bench_measure.ts";

function chunk(file: number, at: number, ends: number[]) {
  return { file, at, ends: Uint32Array.from(ends) };
}

Deno.test("a line's commit time is the midpoint of the polls around its checkpoint advance", () => {
  const log = new CheckpointLog();
  log.record(100, 102, [["a", 10]]); // poll at 101: the warm-up line
  log.record(110, 112, [["a", 10]]); // 111: nothing new
  log.record(120, 122, [["a", 30]]); // 121: lines ending at 20 and 30 committed in (111, 121]
  log.record(130, 132, [["a", 40], ["b", 5]]); // 131: the rest of a, the first line of b
  const d = lineDelays([
    chunk(0, 105, [20, 30]),
    chunk(0, 108, [40]),
    chunk(1, 125, [5, 9]),
  ], { fingerprints: ["a", "b"], log, backlogAt: 125 });
  // 116 - 105 (twice), 126 - 108, 126 - 125; the line ending at 9 of b never committed.
  assert.deepStrictEqual(Array.from(d.delays), [1, 11, 11, 18]);
  assert.deepStrictEqual(d.uncommitted, 1);
  // Written by 125 and not committed by then: the line ending at 40 (committed at 126), and
  // both lines of b (one at 126, one never).
  assert.deepStrictEqual(d.backlog, 3);
  assert.deepStrictEqual(log.polls, 4);
  assert.deepStrictEqual(log.gaps, { mean: 10, max: 10 });
  assert.deepStrictEqual(log.offset("b"), 5);
  assert.deepStrictEqual(log.offset("c"), 0);
});

Deno.test("quantile takes the nearest rank", () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepStrictEqual(quantile(sorted, 0.5), 50);
  assert.deepStrictEqual(quantile(sorted, 0.99), 99);
  assert.deepStrictEqual(quantile(sorted, 1), 100);
  assert.deepStrictEqual(quantile([7], 0.99), 7);
  assert.deepStrictEqual(quantile([], 0.5), NaN);
});

Deno.test("a rate is sustained when nothing is lost and less than a second of input is behind", () => {
  const base = {
    rate: 1000,
    due: 10_001,
    offered: 1000,
    written: 10_001,
    stored: 10_001,
    drained: true,
  };
  assert.deepStrictEqual(judgeTrial({ ...base, backlog: 999 }), "sustained");
  assert.deepStrictEqual(judgeTrial({ ...base, backlog: 1000 }), "behind");
  assert.deepStrictEqual(judgeTrial({ ...base, backlog: 0, stored: 10_000 }), "lost");
  assert.deepStrictEqual(judgeTrial({ ...base, backlog: 0, stored: 10_002 }), "lost");
  assert.deepStrictEqual(
    judgeTrial({ ...base, backlog: 0, stored: 9_000, drained: false }),
    "behind",
  );
  assert.deepStrictEqual(
    judgeTrial({ ...base, backlog: 0, written: 9_000, stored: 9_000 }),
    "writer-bound",
  );
  assert.deepStrictEqual(judgeTrial({ ...base, backlog: 0, offered: 970 }), "writer-bound");
  assert.deepStrictEqual(judgeTrial({ ...base, backlog: 0, offered: 990 }), "sustained");
});

Deno.test("the search goes up by half, then bisects to within 10 %", () => {
  const start = { start: 50_000 };
  assert.deepStrictEqual(nextRate([], [], start), 50_000);
  assert.deepStrictEqual(nextRate([1000, 20_000, 50_000], [], start), 75_000);
  assert.deepStrictEqual(nextRate([50_000], [75_000], start), 61_000);
  assert.deepStrictEqual(nextRate([61_000], [75_000], start), 68_000);
  assert.deepStrictEqual(nextRate([68_000], [75_000], start), 71_000);
  assert.deepStrictEqual(nextRate([71_000], [75_000], start), null);
  // Nothing sustained: down by half.
  assert.deepStrictEqual(nextRate([], [50_000], start), 25_000);
  assert.deepStrictEqual(nextRate([], [1000], start), null);
  // A failure below a success does not bound the search.
  assert.deepStrictEqual(nextRate([20_000], [1000], start), 30_000);
});
