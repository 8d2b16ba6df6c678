/**
 * The Bloom filter of a block's full query names (dns_query_blocks.name_bloom, migration
 * 0031): one byte per query of the block (m = 8 × n bits) and {@linkcode BLOOM_BITS} bits per
 * distinct name, at `(g1 + i × g2) mod m` for i = 0 … BLOOM_BITS - 1, where `g1` and `g2` come
 * from the name's FNV-1a hash ({@linkcode nameHash}, what dnsa_name_hash gives) by
 * {@linkcode bloomMix}. Bit b is bit `b % 8` (least significant first) of byte `b / 8`, as
 * PostgreSQL's get_bit reads it. dnsa_name_bloom builds the same bytes in SQL; the search
 * checks the bits of a name with {@linkcode bloomCondition}.
 *
 * Sized by queries rather than by distinct names, a block needs no set of its names: a name
 * seen again sets the same bits.
 *
 * @module
 */

/** Bits set per name. */
export const BLOOM_BITS = 5;

/** The 32-bit mixer of the double hashing (as dnsa_name_bloom computes it in SQL), unsigned. */
export function bloomMix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The two hashes of a name whose FNV-1a hash (signed or not) is `h`. */
export function bloomHashes(h: number): [number, number] {
  const g1 = bloomMix(h);
  return [g1, (bloomMix(g1) | 1) >>> 0];
}

/**
 * The filter of a block of `n` queries whose names (NULLs left out, repeats allowed) have
 * FNV-1a hashes `hashes[0 … count)`.
 */
export function buildNameBloom(hashes: ArrayLike<number>, count: number, n: number): Uint8Array {
  const bytes = Math.max(n, 1);
  const out = new Uint8Array(bytes);
  const m = bytes * 8;
  for (let j = 0; j < count; j++) {
    const [g1, g2] = bloomHashes(hashes[j]);
    for (let i = 0; i < BLOOM_BITS; i++) {
      const b = (g1 + i * g2) % m;
      out[b >>> 3] |= 1 << (b & 7);
    }
  }
  return out;
}

/** Whether `bloom` may hold the name of FNV-1a hash `h` (false: it holds it not). */
export function bloomHas(bloom: Uint8Array, h: number): boolean {
  const [g1, g2] = bloomHashes(h);
  const m = bloom.length * 8;
  for (let i = 0; i < BLOOM_BITS; i++) {
    const b = (g1 + i * g2) % m;
    if ((bloom[b >>> 3] & (1 << (b & 7))) === 0) return false;
  }
  return true;
}

/**
 * The SQL condition that a block's filter (`column`, bytea) may hold the name of FNV-1a hash
 * `h`: true where the filter is NULL (unknown). `p` adds a parameter and returns its marker.
 */
export function bloomCondition(column: string, h: number, p: (v: unknown) => string): string {
  const [g1, g2] = bloomHashes(h);
  const a = `${p(g1)}::bigint`, b = `${p(g2)}::bigint`;
  const m = `(length(${column})::bigint * 8)`;
  const bits = Array.from(
    { length: BLOOM_BITS },
    (_, i) => `get_bit(${column}, ((${a} + ${i} * ${b}) % ${m})::integer) = 1`,
  );
  return `(${column} is null or (${bits.join(" and ")}))`;
}
