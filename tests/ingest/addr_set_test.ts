import assert from "node:assert/strict";
import { AddrSet } from "../../lib/ingest/addr_set.ts";

const key = (a: { family: number; bits: number; bytes: Uint8Array }) =>
  `${a.family}/${a.bits}/${[...a.bytes.subarray(0, a.family === 2 ? 4 : 16)]}`;

Deno.test("AddrSet: the distinct addresses in first-added order, across clears, as a Set has them", () => {
  const s = new AddrSet(4000);
  let seed = 11;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const out = { family: 0, bits: 0, bytes: new Uint8Array(16) };
  for (let round = 0; round < 30; round++) {
    const ref: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      // Few distinct addresses in odd rounds; IPv6 and IPv4, with and without prefixes, and
      // addresses that differ in one byte or only in family or bits.
      const few = round % 2 === 1;
      const v6 = next() % 3 !== 0;
      const bytes = new Uint8Array(16);
      bytes[0] = 0x20;
      bytes[1] = 0x01;
      const r = few ? next() % 40 : next();
      bytes[v6 ? 15 : 3] = r & 255;
      bytes[v6 ? 9 : 2] = (r >>> 8) & 255;
      const a = { family: v6 ? 3 : 2, bits: next() % 4 === 0 ? 24 : v6 ? 128 : 32, bytes };
      const added = s.add(a);
      const k = key(a);
      assert.equal(added, !seen.has(k));
      if (added) {
        seen.add(k);
        ref.push(k);
      }
    }
    assert.equal(s.size, ref.length);
    for (let i = 0; i < s.size; i++) {
      out.bytes.fill(0);
      assert.equal(key(s.get(i, out)), ref[i]);
    }
    s.clear();
    assert.equal(s.size, 0);
  }
  const t = new AddrSet(1);
  assert.equal(t.add({ family: 3, bits: 128, bytes: new Uint8Array(16) }), true);
  assert.throws(() => t.add({ family: 3, bits: 127, bytes: new Uint8Array(16) }), RangeError);
});
