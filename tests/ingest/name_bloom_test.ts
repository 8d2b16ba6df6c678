import assert from "node:assert/strict";
import {
  BLOOM_BITS,
  bloomCondition,
  bloomHas,
  buildNameBloom,
  nameHashes,
} from "../../lib/ingest/name_bloom.ts";

const enc = new TextEncoder();

function bloomOf(names: string[], n = names.length): Uint8Array {
  const hs = names.map((s) => nameHashes(enc.encode(s)));
  return buildNameBloom(hs.map((h) => h[0]), hs.map((h) => h[1]), { count: names.length, n });
}

Deno.test("name bloom: every name of the block is found; one byte per query", () => {
  const names = Array.from({ length: 4000 }, (_, i) => `n${i}.apex${i % 7}.example`);
  const bloom = bloomOf(names);
  assert.equal(bloom.length, 4000);
  for (const n of names) assert.ok(bloomHas(bloom, n), n);
});

Deno.test("name bloom: 4,000 distinct names let through at most 3 % of other names", () => {
  const bloom = bloomOf(Array.from({ length: 4000 }, (_, i) => `host-${i}.google.com`));
  let passed = 0;
  const others = 20_000;
  for (let i = 0; i < others; i++) if (bloomHas(bloom, `other-${i}.google.com`)) passed++;
  console.log(`false positives: ${passed} of ${others}`);
  assert.ok(passed / others < 0.03, `${passed} of ${others}`);
});

Deno.test("name bloom: repeats left out; an empty block holds nothing", () => {
  assert.deepEqual(
    bloomOf(["a.example", "a.example", "b.example"], 5),
    bloomOf(["a.example", "b.example"], 5),
  );
  const empty = bloomOf([], 3);
  assert.deepEqual([...empty], [0, 0, 0]);
  assert.equal(bloomHas(empty, "a.example"), false);
  assert.equal(bloomOf([], 0).length, 1);
});

Deno.test("name bloom: the hash dnsa_name_bloom checks its server by", () => {
  // sql/migrations/0031_name_bloom.sql: hashtextextended('dns-analytics', 0).
  const [g1, g2] = nameHashes(enc.encode("dns-analytics"));
  const h = BigInt.asUintN(64, -3699894496865235252n);
  assert.equal(g1, Number(h & 0xffffffffn));
  assert.equal(g2, Number((h >> 32n) | 1n));
});

Deno.test("name bloom: hashes of a slice are those of the same bytes alone; g2 is odd", () => {
  const bytes = enc.encode("xx.www.example.com.yy");
  assert.deepEqual(nameHashes(bytes, 3, 18), nameHashes(enc.encode("www.example.com")));
  for (let len = 0; len < 30; len++) {
    assert.equal(nameHashes(enc.encode("a".repeat(len)))[1] % 2, 1);
  }
});

Deno.test("name bloom: the SQL condition passes NULL and reads the name's bits", () => {
  const params: unknown[] = [];
  const text = bloomCondition("b.name_bloom", "x.example", (v) => {
    params.push(v);
    return `$${params.length}`;
  });
  assert.equal(params.length, 2);
  assert.ok(text.startsWith("(b.name_bloom is null or ("));
  assert.equal(text.split("get_bit(").length - 1, BLOOM_BITS);
});
