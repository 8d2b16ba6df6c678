/**
 * A set of addresses for the block sink (lib/ingest/block_sink.ts): a block's distinct
 * clients that are not plain IPv4 hosts (IPv6, or an address with a prefix), in the order
 * first added, emptied once per block. Open addressing over typed arrays, emptied by a
 * generation stamp like {@linkcode IntSet} (lib/ingest/int_set.ts): a string key per row and
 * a `Map` lookup cost ~120 ms per million rows on a log of IPv6 clients, this a probe or two.
 *
 * @module
 */
import type { InetBytes } from "../db/binary_copy.ts";

/** Words of a key: the address's 16 bytes as four 32-bit words, then family and bits. */
const WORDS = 5;

/** Distinct addresses (family, bits, 16 bytes), at most `capacity` between two clears. */
export class AddrSet {
  readonly #keys: Int32Array;
  readonly #stamps: Uint32Array;
  readonly #shift: number;
  readonly #mask: number;
  #stamp = 1;
  /** The slot of each distinct address, first added first: `slots[0, size)`. */
  readonly #order: Int32Array;
  size = 0;

  constructor(capacity: number) {
    let bits = 4;
    while (1 << bits < capacity * 2) bits++;
    this.#keys = new Int32Array(WORDS << bits);
    this.#stamps = new Uint32Array(1 << bits);
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    this.#order = new Int32Array(capacity);
  }

  /** Add `a` (its first 4 or 16 bytes by family); false when it was there already. */
  add(a: InetBytes): boolean {
    const b = a.bytes, v6 = a.family !== 2;
    const w0 = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    const w1 = v6 ? (b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7] : 0;
    const w2 = v6 ? (b[8] << 24) | (b[9] << 16) | (b[10] << 8) | b[11] : 0;
    const w3 = v6 ? (b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15] : 0;
    const w4 = (a.family << 8) | a.bits;
    const keys = this.#keys, stamps = this.#stamps, stamp = this.#stamp;
    let h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b), 0x9e3779b1);
    h = Math.imul(h ^ w2 ^ Math.imul(w3 ^ w4, 0xc2b2ae35), 0x9e3779b1);
    let i = (h ^ (h >>> 15)) >>> this.#shift;
    while (stamps[i] === stamp) {
      const o = i * WORDS;
      if (
        keys[o] === w0 && keys[o + 1] === w1 && keys[o + 2] === w2 && keys[o + 3] === w3 &&
        keys[o + 4] === w4
      ) return false;
      i = (i + 1) & this.#mask;
    }
    if (this.size === this.#order.length) throw new RangeError("AddrSet is full");
    stamps[i] = stamp;
    const o = i * WORDS;
    keys[o] = w0;
    keys[o + 1] = w1;
    keys[o + 2] = w2;
    keys[o + 3] = w3;
    keys[o + 4] = w4;
    this.#order[this.size++] = i;
    return true;
  }

  /** Put the `k`-th distinct address (first added first) into `out`; returns `out`. */
  get<T extends InetBytes>(k: number, out: T): T {
    const o = this.#order[k] * WORDS, keys = this.#keys, b = out.bytes;
    for (let j = 0; j < 4; j++) {
      const w = keys[o + j];
      b[4 * j] = w >>> 24;
      b[4 * j + 1] = (w >>> 16) & 255;
      b[4 * j + 2] = (w >>> 8) & 255;
      b[4 * j + 3] = w & 255;
    }
    out.family = keys[o + 4] >>> 8;
    out.bits = keys[o + 4] & 255;
    return out;
  }

  /** Empty the set. */
  clear(): void {
    this.size = 0;
    if (++this.#stamp === 0xffffffff) {
      this.#stamps.fill(0);
      this.#stamp = 1;
    }
  }
}
