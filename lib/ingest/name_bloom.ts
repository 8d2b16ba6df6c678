/**
 * The Bloom filter of a block's full query names (dns_query_blocks.name_bloom, migration
 * 0031): one byte per query of the block (m = 8 × n bits) and {@linkcode BLOOM_BITS} bits per
 * distinct name, at `((g1 + i × g2) mod 2^32) × m >> 32` for i = 0 … BLOOM_BITS - 1 (a
 * multiply-shift, not a division, maps a hash to a bit), where g1 and g2 are the
 * low and high halves (g2 made odd) of PostgreSQL's `hashtextextended(name, 0)`
 * ({@linkcode nameHashes}: Bob Jenkins' lookup3 over the name's UTF-8 bytes, as the server's
 * hash_bytes_extended computes it in C, so dnsa_name_bloom builds the same bytes in SQL
 * without hashing in plpgsql). Bit b is bit `b % 8` (least significant first) of byte
 * `b / 8`, as get_bit reads it. The search checks a name with {@linkcode bloomCondition}.
 *
 * Sized by queries rather than by distinct names, a block needs no set of its names: a name
 * seen again sets the same bits.
 *
 * @module
 */

/** Bits set per name. */
export const BLOOM_BITS = 5;

const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** The two hashes of a name's UTF-8 bytes: `[g1, g2]` (see {@linkcode storeNameHashes}). */
export function nameHashes(k: Uint8Array, start = 0, end = k.length): [number, number] {
  const g1 = new Uint32Array(1), g2 = new Uint32Array(1);
  storeNameHashes(k, { start, end, g1, g2, at: 0 });
  return [g1[0], g2[0]];
}

/**
 * The two hashes of a name's UTF-8 bytes `k[start, end)`, unsigned, stored at `at` of `g1`
 * and `g2` (no allocation: the block sink hashes every row): from hashtextextended(name, 0)
 * = (b << 32) | c of hash_bytes_extended (PostgreSQL's src/common/hashfn.c, little-endian
 * reading), g1 = c and g2 = b | 1.
 */
export function storeNameHashes(
  k: Uint8Array,
  to: { start: number; end: number; g1: Uint32Array; g2: Uint32Array; at: number },
): void {
  const start = to.start;
  let len = to.end - start;
  let a = (0x9e3779b9 + len + 3923095) | 0, b = a, c = a;
  let o = start;
  while (len >= 12) {
    a = (a + (k[o] | (k[o + 1] << 8) | (k[o + 2] << 16) | (k[o + 3] << 24))) | 0;
    b = (b + (k[o + 4] | (k[o + 5] << 8) | (k[o + 6] << 16) | (k[o + 7] << 24))) | 0;
    c = (c + (k[o + 8] | (k[o + 9] << 8) | (k[o + 10] << 16) | (k[o + 11] << 24))) | 0;
    a = (a - c) | 0, a ^= rot(c, 4), c = (c + b) | 0;
    b = (b - a) | 0, b ^= rot(a, 6), a = (a + c) | 0;
    c = (c - b) | 0, c ^= rot(b, 8), b = (b + a) | 0;
    a = (a - c) | 0, a ^= rot(c, 16), c = (c + b) | 0;
    b = (b - a) | 0, b ^= rot(a, 19), a = (a + c) | 0;
    c = (c - b) | 0, c ^= rot(b, 4), b = (b + a) | 0;
    o += 12;
    len -= 12;
  }
  // The last bytes; the lowest byte of c stays for the length.
  switch (len) {
    case 11:
      c = (c + (k[o + 10] << 24)) | 0; // falls through
    case 10:
      c = (c + (k[o + 9] << 16)) | 0; // falls through
    case 9:
      c = (c + (k[o + 8] << 8)) | 0; // falls through
    case 8:
      b = (b + (k[o + 7] << 24)) | 0; // falls through
    case 7:
      b = (b + (k[o + 6] << 16)) | 0; // falls through
    case 6:
      b = (b + (k[o + 5] << 8)) | 0; // falls through
    case 5:
      b = (b + k[o + 4]) | 0; // falls through
    case 4:
      a = (a + (k[o + 3] << 24)) | 0; // falls through
    case 3:
      a = (a + (k[o + 2] << 16)) | 0; // falls through
    case 2:
      a = (a + (k[o + 1] << 8)) | 0; // falls through
    case 1:
      a = (a + k[o]) | 0;
  }
  c ^= b, c = (c - rot(b, 14)) | 0;
  a ^= c, a = (a - rot(c, 11)) | 0;
  b ^= a, b = (b - rot(a, 25)) | 0;
  c ^= b, c = (c - rot(b, 16)) | 0;
  a ^= c, a = (a - rot(c, 4)) | 0;
  b ^= a, b = (b - rot(a, 14)) | 0;
  c ^= b, c = (c - rot(b, 24)) | 0;
  to.g1[to.at] = c;
  to.g2[to.at] = b | 1;
}

/**
 * The filter of a block of `n` queries whose names (NULLs left out, repeats allowed) have
 * the hashes `g1[j]`, `g2[j]` ({@linkcode nameHashes}), j < `count`.
 */
export function buildNameBloom(
  g1: ArrayLike<number>,
  g2: ArrayLike<number>,
  sizes: { count: number; n: number },
): Uint8Array {
  const bytes = Math.max(sizes.n, 1);
  const out = new Uint8Array(bytes);
  const m = bytes * 8;
  for (let j = 0; j < sizes.count; j++) {
    const b = g2[j];
    let x = g1[j];
    for (let i = 0; i < BLOOM_BITS; i++) {
      const bit = bitOf(x, m);
      out[bit >>> 3] |= 1 << (bit & 7);
      x = (x + b) >>> 0;
    }
  }
  return out;
}

/** The bit of a 32-bit hash `x` in `m` bits: `x × m >> 32` (exact in a double: m < 2^21). */
function bitOf(x: number, m: number): number {
  return Math.floor((x * m) / 4294967296);
}

const ENCODER = new TextEncoder();

/** Whether `bloom` may hold `name` (false: it holds it not). */
export function bloomHas(bloom: Uint8Array, name: string): boolean {
  const [a, b] = nameHashes(ENCODER.encode(name));
  const m = bloom.length * 8;
  for (let i = 0; i < BLOOM_BITS; i++) {
    const bit = bitOf((a + i * b) >>> 0, m);
    if ((bloom[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/**
 * The SQL condition that a block's filter (`column`, bytea) may hold `name`: true where the
 * filter is NULL (unknown). `p` adds a parameter and returns its marker.
 */
export function bloomCondition(column: string, name: string, p: (v: unknown) => string): string {
  const [g1, g2] = nameHashes(ENCODER.encode(name));
  const a = `${p(g1)}::bigint`, b = `${p(g2)}::bigint`;
  const m = `(length(${column})::bigint * 8)`;
  const bits = Array.from(
    { length: BLOOM_BITS },
    (_, i) =>
      `get_bit(${column}, ((((${a} + ${i} * ${b}) & 4294967295) * ${m}) >> 32)::integer) = 1`,
  );
  return `(${column} is null or (${bits.join(" and ")}))`;
}
