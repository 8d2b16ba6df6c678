/**
 * PostgreSQL's binary COPY format, read: {@linkcode BinaryCopyReader} splits
 * `COPY … TO STDOUT (format binary)` data into tuples (the rollup's reading of a day), and the
 * field readers decode integers, timestamps and `inet` values (lib/db/binary_copy.ts writes
 * them).
 *
 * @module
 */
import { HEADER_BYTES, PG_EPOCH_US } from "./binary_copy.ts";

/** The signed 32-bit integer at b[at]. */
export function int32(b: Uint8Array, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}

/** The unsigned 32-bit integer at b[at]. */
export function uint32(b: Uint8Array, at: number): number {
  return int32(b, at) >>> 0;
}

/** The epoch microseconds of the timestamptz value (without its length word) at b[at]. */
export function readTime(b: Uint8Array, at: number): number {
  return int32(b, at) * 4294967296 + uint32(b, at + 4) + PG_EPOCH_US;
}

/**
 * A key for the `inet` value (without its length word) of `len` bytes at b[at]: an IPv4 host
 * as a number, anything else as hex text. Equal addresses give equal keys.
 */
export function inetKey(b: Uint8Array, at: number, len: number): number | string {
  if (len === 8 && b[at + 1] === 32 && b[at + 2] === 0) {
    return ((b[at + 4] << 24) >>> 0) + (b[at + 5] << 16) + (b[at + 6] << 8) + b[at + 7];
  }
  let k = "";
  for (let i = 0; i < len; i++) k += b[at + i].toString(16).padStart(2, "0");
  return k;
}

/** The text of the `inet` value (without its length word) at b[at], as PostgreSQL reads it. */
export function inetText(b: Uint8Array, at: number): string {
  const bits = b[at + 1], nb = b[at + 3];
  let text: string;
  if (nb === 4) text = `${b[at + 4]}.${b[at + 5]}.${b[at + 6]}.${b[at + 7]}`;
  else {
    const groups: string[] = [];
    for (let i = 0; i < nb; i += 2) {
      groups.push(((b[at + 4 + i] << 8) | b[at + 5 + i]).toString(16));
    }
    text = groups.join(":");
  }
  return bits === nb * 8 ? text : `${text}/${bits}`;
}

/**
 * Splits binary COPY data into tuples: calls `onTuple(bytes, start)` with the offset of each
 * tuple's first field length; a tuple may span chunks.
 */
export class BinaryCopyReader {
  #carry: Uint8Array | null = null;
  #header = true;
  /** The trailer was read. */
  done = false;

  constructor(readonly onTuple: (b: Uint8Array, start: number) => void) {}

  /** Take `chunk[from, to)`, the next bytes of the COPY data. */
  push(chunk: Uint8Array, from = 0, to = chunk.length): void {
    let b = chunk, at = from, end0 = to;
    if (this.#carry) {
      b = new Uint8Array(this.#carry.length + to - from);
      b.set(this.#carry);
      b.set(chunk.subarray(from, to), this.#carry.length);
      this.#carry = null;
      at = 0;
      end0 = b.length;
    }
    if (this.#header) {
      if (end0 - at < HEADER_BYTES) {
        this.#carry = b.slice(at, end0);
        return;
      }
      at += HEADER_BYTES + int32(b, at + 15);
      this.#header = false;
    }
    while (at + 2 <= end0) {
      const count = ((b[at] << 8) | b[at + 1]) << 16 >> 16;
      if (count === -1) {
        this.done = true;
        return;
      }
      // The tuple's end: walk its field lengths.
      let end = at + 2;
      let complete = true;
      for (let f = 0; f < count; f++) {
        if (end + 4 > end0) {
          complete = false;
          break;
        }
        const len = int32(b, end);
        end += 4 + (len > 0 ? len : 0);
      }
      if (!complete || end > end0) break;
      this.onTuple(b, at + 2);
      at = end;
    }
    if (at < end0) this.#carry = b.slice(at, end0);
  }
}
