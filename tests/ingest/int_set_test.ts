import assert from "node:assert/strict";
import { IntSet } from "../../lib/ingest/int_set.ts";

Deno.test("IntSet: the distinct values in first-added order, across clears, as a Set has them", () => {
  const s = new IntSet(4000);
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let round = 0; round < 50; round++) {
    const ref: number[] = [];
    const seen = new Set<number>();
    // Few distinct values in some rounds (many repeats), up to the capacity in others.
    const range = round % 2 ? 300 : 0xffffffff;
    for (let i = 0; i < 4000; i++) {
      const v = round % 5 === 0 ? (next() % 4000) * 65537 : next() % range;
      const added = s.add(v);
      assert.equal(added, !seen.has(v >>> 0));
      if (added) {
        seen.add(v >>> 0);
        ref.push(v >>> 0);
      }
    }
    assert.deepEqual([...s.list.subarray(0, s.size)], ref);
    s.clear();
    assert.equal(s.size, 0);
  }
  // Negative numbers are their unsigned 32 bits; one more value than the capacity throws.
  const t = new IntSet(2);
  assert.equal(t.add(-1), true);
  assert.equal(t.add(0xffffffff), false);
  assert.equal(t.add(0), true);
  assert.throws(() => t.add(1), RangeError);
});
