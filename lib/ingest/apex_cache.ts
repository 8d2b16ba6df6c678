/**
 * The apex of each domain the fast path (lib/ingest/fast_query.ts) reads, kept by the
 * lower-cased bytes of the name so that a repeated name costs a hash lookup and no string.
 *
 * @module
 */
import { apexDomain } from "../domain.ts";
import { storeNameHashes } from "./name_bloom.ts";
import { nameHash } from "./block_sink.ts";

const ENCODER = new TextEncoder();

/**
 * A cache of domain → apex keyed by the lower-cased name bytes: open addressing over one
 * typed array of slots, keys and apexes packed in one byte arena (each key followed by its
 * apex). Allocating a typed array costs several hundred ns here, more than the lookup, and
 * real traffic has many names seen once (CDN labels, NXDOMAIN probes), so a miss allocates
 * nothing. A slot's fields sit side by side and the table starts small and doubles as
 * it fills: a lookup then touches one cache line of the table and one of the arena, where
 * separate arrays per field cost a cache miss each (most of the lookup on large name sets).
 */
/** Int32 fields a slot: hash, key offset, key and apex length, 2 + 2 Bloom hashes, apex hash. */
const SLOT = 9;

export class ApexCache {
  /** Where the last {@linkcode get} found the apex: arena[apexStart, apexEnd). */
  arena = new Uint8Array(1 << 23);
  apexStart = 0;
  apexEnd = 0;
  /** The apex's two hashes for a block's apex_bloom (lib/ingest/name_bloom.ts), unsigned. */
  apexG1 = 0;
  apexG2 = 0;
  /** The name's two hashes for a block's name_bloom, unsigned. */
  nameG1 = 0;
  nameG2 = 0;
  /** dnsa_name_hash of the apex (lib/ingest/block_sink.ts's nameHash) for a block's `names`. */
  apexHash = 0;
  #used = 0;
  readonly #hashes = { start: 0, end: 0, g1: new Uint32Array(2), g2: new Uint32Array(2), at: 0 };
  #size = 0;
  #mask: number;
  #maxBits: number;
  /**
   * Per slot: hash, key offset in the arena, key length (0 = empty), apex length, the apex's
   * two Bloom hashes, the name's two, the apex's dnsa_name_hash.
   */
  #slots: Int32Array;

  constructor(maxBits = 18, bits = 12) {
    this.#maxBits = maxBits;
    this.#mask = (1 << bits) - 1;
    this.#slots = new Int32Array(SLOT << bits);
  }

  #clear(): void {
    this.#slots.fill(0);
    this.#size = 0;
    this.#used = 0;
  }

  /** Double the table, keeping its entries. */
  #grow(): void {
    const old = this.#slots;
    const mask = (this.#mask << 1) | 1;
    const slots = new Int32Array(SLOT * (mask + 1));
    for (let o = 0; o < old.length; o += SLOT) {
      if (old[o + 2] === 0) continue;
      let i = old[o] & mask;
      while (slots[SLOT * i + 2] !== 0) i = (i + 1) & mask;
      slots.set(old.subarray(o, o + SLOT), SLOT * i);
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  /** Find (or compute) the apex of the name in name[0, len); see apexStart/apexEnd. */
  get(name: Uint8Array, len: number, hash: number): void {
    const arena = this.arena, slots = this.#slots, mask = this.#mask;
    let i = hash & mask;
    for (;;) {
      const o = SLOT * i;
      const kl = slots[o + 2];
      if (kl === 0) break;
      if (kl === len && slots[o] === hash) {
        const at = slots[o + 1];
        let j = 0;
        while (j < len && arena[at + j] === name[j]) j++;
        if (j === len) {
          this.apexStart = at + len;
          this.apexEnd = at + len + slots[o + 3];
          this.apexG1 = slots[o + 4] >>> 0;
          this.apexG2 = slots[o + 5] >>> 0;
          this.nameG1 = slots[o + 6] >>> 0;
          this.nameG2 = slots[o + 7] >>> 0;
          this.apexHash = slots[o + 8];
          return;
        }
      }
      i = (i + 1) & mask;
    }
    if (this.#size >= (mask >> 1)) {
      if (mask < (1 << this.#maxBits) - 1) this.#grow();
      else this.#clear();
      return this.get(name, len, hash);
    }
    if (this.#used + 4 * len + 16 > arena.length) {
      this.#clear();
      return this.get(name, len, hash);
    }
    let text = "";
    for (let j = 0; j < len; j++) text += String.fromCharCode(name[j]);
    const keyAt = this.#used;
    for (let j = 0; j < len; j++) arena[keyAt + j] = name[j];
    const apexAt = keyAt + len;
    const written = ENCODER.encodeInto(apexDomain(text), arena.subarray(apexAt)).written;
    this.#used = apexAt + written;
    const h = this.#hashes;
    h.start = apexAt;
    h.end = apexAt + written;
    h.at = 0;
    storeNameHashes(arena, h);
    h.start = keyAt;
    h.end = keyAt + len;
    h.at = 1;
    storeNameHashes(arena, h);
    const apexHash = nameHash(arena, apexAt, apexAt + written);
    const o = SLOT * i;
    slots[o] = hash;
    slots[o + 1] = keyAt;
    slots[o + 2] = len;
    slots[o + 3] = written;
    slots[o + 4] = h.g1[0];
    slots[o + 5] = h.g2[0];
    slots[o + 6] = h.g1[1];
    slots[o + 7] = h.g2[1];
    slots[o + 8] = apexHash;
    this.#size++;
    this.apexStart = apexAt;
    this.apexEnd = apexAt + written;
    this.apexG1 = h.g1[0];
    this.apexG2 = h.g2[0];
    this.nameG1 = h.g1[1];
    this.nameG2 = h.g2[1];
    this.apexHash = apexHash;
  }
}
