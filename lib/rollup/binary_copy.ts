/**
 * PostgreSQL's binary COPY format, both ways: {@linkcode BinaryTable} encodes the rows of one
 * table (the rollup's statistics), {@linkcode BinaryCopyReader} splits `COPY … TO STDOUT
 * (format binary)` data into tuples (the rollup's reading of a day). Integers are big-endian;
 * a timestamptz is microseconds since 2000-01-01, a date days since then.
 *
 * @module
 */
import type { PendingWrite } from "./pending_write.ts";

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
export const PG_EPOCH_US = 946_684_800_000_000;
const PG_EPOCH_DAY = 10_957; // 2000-01-01 in days since 1970-01-01
const INT8_OID = 20;
const HEADER = new Uint8Array([
  ...new TextEncoder().encode("PGCOPY\n"),
  0xff,
  0x0d,
  0x0a,
  0x00,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
]);
const encoder = new TextEncoder();

/** One table's rows as binary COPY data (header, tuples, trailer), in a buffer that grows. */
export class BinaryTable {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  #n = 0;
  rows = 0;

  constructor(readonly table: string, readonly columns: readonly string[]) {
    this.#reset(1 << 16);
  }

  /** A fresh buffer that starts with the header. */
  #reset(size: number): void {
    this.#buf = new Uint8Array(size);
    this.#view = new DataView(this.#buf.buffer);
    this.#buf.set(HEADER);
    this.#n = HEADER.length;
    this.rows = 0;
  }

  #ensure(bytes: number): void {
    if (this.#n + bytes <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#n + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#n));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  begin(): void {
    this.#ensure(2);
    this.#view.setInt16(this.#n, this.columns.length);
    this.#n += 2;
    this.rows++;
  }

  text(s: string | null): void {
    if (s === null) {
      this.#ensure(4);
      this.#view.setInt32(this.#n, -1);
      this.#n += 4;
      return;
    }
    this.#ensure(4 + s.length * 3);
    const { written } = encoder.encodeInto(s, this.#buf.subarray(this.#n + 4));
    this.#view.setInt32(this.#n, written);
    this.#n += 4 + written;
  }

  int8(v: number): void {
    this.#ensure(12);
    const hi = Math.floor(v / 4294967296);
    this.#view.setInt32(this.#n, 8);
    this.#view.setInt32(this.#n + 4, hi);
    this.#view.setUint32(this.#n + 8, v - hi * 4294967296);
    this.#n += 12;
  }

  int4(v: number): void {
    this.#ensure(8);
    this.#view.setInt32(this.#n, 4);
    this.#view.setInt32(this.#n + 4, v);
    this.#n += 8;
  }

  /** timestamptz from epoch microseconds. */
  time(us: number): void {
    this.int8(us - PG_EPOCH_US);
  }

  /** date from days since 1970-01-01. */
  date(days: number): void {
    this.int4(days - PG_EPOCH_DAY);
  }

  /** bigint[] of the clients' hashes, given as client indexes. */
  hashes(idx: Int32Array, hi: Int32Array, lo: Uint32Array): void {
    const k = idx.length;
    const bytes = k === 0 ? 12 : 20 + 12 * k;
    this.#ensure(4 + bytes);
    const v = this.#view;
    let at = this.#n;
    v.setInt32(at, bytes);
    v.setInt32(at + 4, k === 0 ? 0 : 1); // dimensions
    v.setInt32(at + 8, 0); // no NULLs
    v.setInt32(at + 12, INT8_OID);
    at += 16;
    if (k > 0) {
      v.setInt32(at, k);
      v.setInt32(at + 4, 1); // lower bound
      at += 8;
      for (let i = 0; i < k; i++) {
        const c = idx[i];
        v.setInt32(at, 8);
        v.setInt32(at + 4, hi[c]);
        v.setUint32(at + 8, lo[c]);
        at += 12;
      }
    }
    this.#n = at;
  }

  /** The rows so far with the trailer (null when there are none); the table is empty at once. */
  take(): PendingWrite | null {
    if (this.rows === 0) return null;
    this.#ensure(2);
    this.#view.setInt16(this.#n, -1);
    const data = this.#buf.subarray(0, this.#n + 2);
    const rows = this.rows;
    this.#reset(this.#buf.length);
    return { table: this.table, columns: this.columns, rows, format: "binary", data };
  }
}

export function int32(b: Uint8Array, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}

export function uint32(b: Uint8Array, at: number): number {
  return int32(b, at) >>> 0;
}

/**
 * Splits binary COPY data into tuples: calls `onTuple(bytes, start)` with the offset of each
 * tuple's first field length; a tuple may span chunks.
 */
export class BinaryCopyReader {
  #carry: Uint8Array | null = null;
  #header = true;
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
      if (end0 - at < 19) {
        this.#carry = b.slice(at, end0);
        return;
      }
      at += 19 + int32(b, at + 15);
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
