import assert from "node:assert/strict";
import { nameHash } from "../../lib/ingest/block_sink.ts";
import {
  BLOOM_BITS,
  bloomCondition,
  bloomHas,
  buildNameBloom,
} from "../../lib/ingest/name_bloom.ts";

const enc = new TextEncoder();
const hash = (s: string) => nameHash(enc.encode(s));

Deno.test("name bloom: every name of the block is found; one byte per query", () => {
  const names = Array.from({ length: 4000 }, (_, i) => `n${i}.apex${i % 7}.example`);
  const bloom = buildNameBloom(names.map(hash), names.length, names.length);
  assert.equal(bloom.length, 4000);
  for (const n of names) assert.ok(bloomHas(bloom, hash(n)), n);
});

Deno.test("name bloom: 4,000 distinct names let through at most 3 % of other names", () => {
  const names = Array.from({ length: 4000 }, (_, i) => `host-${i}.google.com`);
  const bloom = buildNameBloom(names.map(hash), names.length, names.length);
  let passed = 0;
  const others = 20_000;
  for (let i = 0; i < others; i++) if (bloomHas(bloom, hash(`other-${i}.google.com`))) passed++;
  console.log(`false positives: ${passed} of ${others}`);
  assert.ok(passed / others < 0.03, `${passed} of ${others}`);
});

Deno.test("name bloom: repeats and NULLs left out; an empty block holds nothing", () => {
  const h = [hash("a.example"), hash("a.example"), hash("b.example")];
  assert.deepEqual(buildNameBloom(h, 3, 5), buildNameBloom([h[0], h[2]], 2, 5));
  const empty = buildNameBloom([], 0, 3);
  assert.deepEqual([...empty], [0, 0, 0]);
  assert.equal(bloomHas(empty, hash("a.example")), false);
  assert.equal(buildNameBloom([], 0, 0).length, 1);
});

Deno.test("name bloom: the SQL condition passes NULL and reads the name's bits", () => {
  const params: unknown[] = [];
  const text = bloomCondition("b.name_bloom", hash("x.example"), (v) => {
    params.push(v);
    return `$${params.length}`;
  });
  assert.equal(params.length, 2);
  assert.ok(text.startsWith("(b.name_bloom is null or ("));
  assert.equal(text.split("get_bit(").length - 1, BLOOM_BITS);
});
