/**
 * PostgreSQL's binary COPY format, written: {@linkcode BinaryCopyWriter} encodes rows
 * (ingest's query rows and blocks, dnstap's, the rollup's statistics) and {@linkcode writeInet}
 * an address; the format is read by lib/db/binary_copy_read.ts. Integers are big-endian; a timestamptz is
 * microseconds since 2000-01-01, a date days since then.
 *
 * The writer's buffer, view and position are public so that a row encoder that runs once per
 * line (lib/ingest/binary_sink.ts) can make room for a whole row once and write through locals.
 *
 * ```ts
 * const w = new BinaryCopyWriter({ grow: true });
 * w.fields(2);
 * w.int4(7);
 * w.text("example.com");
 * const data = w.take(); // header, one tuple, trailer
 * ```
 *
 * @module
 */

import { COPY_BLOCK, newBlock, recycleBlocks } from "./copy_blocks.ts";

/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z). */
export const PG_EPOCH_MS = 946_684_800_000;
/** Microseconds from the Unix epoch to PostgreSQL's. */
export const PG_EPOCH_US = PG_EPOCH_MS * 1000;
const PG_EPOCH_DAY = 10_957; // 2000-01-01 in days since 1970-01-01
const INT8_OID = 20;
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
/** Signature, flags (0) and header extension length (0). */
export const HEADER_BYTES = 19;
const ENCODER = new TextEncoder();

/** An address as binary `inet` holds it: family 2 (IPv4) or 3 (IPv6), bytes, prefix bits. */
export interface InetBytes {
  family: number;
  bits: number;
  bytes: Uint8Array;
}

/** Write `a` as a binary `inet` value (length word included) at buf[p]; returns the end. */
export function writeInet(buf: Uint8Array, v: DataView, p: number, a: InetBytes): number {
  const nb = a.family === 2 ? 4 : 16;
  v.setInt32(p, 4 + nb);
  buf[p + 4] = a.family;
  buf[p + 5] = a.bits;
  buf[p + 6] = 0; // inet, not cidr
  buf[p + 7] = nb;
  const bytes = a.bytes;
  for (let i = 0; i < nb; i++) buf[p + 8 + i] = bytes[i];
  return p + 8 + nb;
}

/**
 * The head of a one-dimensional array value of `k` elements of type `oid` at `at` (the length
 * word is written by the caller); returns where the first element goes.
 */
export function arrayHead(
  v: DataView,
  at: number,
  oid: number,
  k: number,
  hasNull: boolean,
): number {
  v.setInt32(at, k === 0 ? 0 : 1); // dimensions
  v.setInt32(at + 4, hasNull ? 1 : 0);
  v.setInt32(at + 8, oid);
  if (k === 0) return at + 12;
  v.setInt32(at + 12, k);
  v.setInt32(at + 16, 1); // lower bound
  return at + 20;
}

/**
 * Rows as binary COPY data: the header at once, then each row as {@linkcode fields} followed
 * by one value per field. The data is kept either in blocks of about 1 MiB handed out by
 * {@linkcode blocks} (the default: a batch of any size without copying), or, with `grow`, in
 * one buffer that doubles as needed and is handed out whole by {@linkcode take}.
 */
export class BinaryCopyWriter {
  /** The current block; bytes [0, pos) are written. */
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /** Rows begun. */
  rows = 0;
  #blocks: Uint8Array[] = [];
  readonly #blockBytes: number;
  readonly #grow: boolean;
  #released = false;

  /**
   * `blockBytes`: size of a block (default 1 MiB; small in tests), or the first size of the
   * buffer with `grow`.
   */
  constructor(options: { blockBytes?: number; grow?: boolean } = {}) {
    this.#grow = options.grow ?? false;
    this.#blockBytes = options.blockBytes ?? (this.#grow ? 1 << 16 : COPY_BLOCK);
    this.buf = this.#grow ? new Uint8Array(this.#blockBytes) : newBlock(this.#blockBytes);
    this.view = new DataView(this.buf.buffer);
    this.#header();
  }

  #header(): void {
    this.buf.set(SIGNATURE, 0);
    this.view.setInt32(11, 0); // flags
    this.view.setInt32(15, 0); // header extension length
    this.pos = HEADER_BYTES;
    this.rows = 0;
  }

  /** Make room for `n` more bytes at {@linkcode pos} (a new block, or a larger buffer). */
  room(n: number): void {
    if (this.pos + n > this.buf.length) this.#more(n);
  }

  #more(n: number): void {
    if (this.#grow) {
      let size = this.buf.length * 2;
      while (size < this.pos + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    } else {
      this.#blocks.push(this.buf.subarray(0, this.pos));
      this.buf = newBlock(Math.max(this.#blockBytes, n));
      this.pos = 0;
    }
    this.view = new DataView(this.buf.buffer);
  }

  /** Begin a row of `count` fields. */
  fields(count: number): void {
    this.room(2);
    this.view.setInt16(this.pos, count);
    this.pos += 2;
    this.rows++;
  }

  /** A NULL field. */
  nul(): void {
    this.room(4);
    this.view.setInt32(this.pos, -1);
    this.pos += 4;
  }

  /** A text field as UTF-8 (NULL for null). */
  text(s: string | null): void {
    if (s === null) return this.nul();
    const n = s.length;
    this.room(n * 3 + 4);
    const buf = this.buf;
    const start = this.pos + 4;
    let pos = start;
    // ASCII byte by byte (most names); the rest of the string at its first other character.
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 128) buf[pos++] = c;
      else {
        pos += ENCODER.encodeInto(s.slice(i), buf.subarray(pos)).written;
        break;
      }
    }
    this.view.setInt32(this.pos, pos - start);
    this.pos = pos;
  }

  /** A smallint field. */
  int2(v: number): void {
    this.room(6);
    this.view.setInt32(this.pos, 2);
    this.view.setInt16(this.pos + 4, v);
    this.pos += 6;
  }

  /** An integer field. */
  int4(v: number): void {
    this.room(8);
    this.view.setInt32(this.pos, 4);
    this.view.setInt32(this.pos + 4, v);
    this.pos += 8;
  }

  /** A bigint field (a safe integer: the value is split into its high and low words). */
  int8(v: number): void {
    this.room(12);
    const hi = Math.floor(v / 4294967296);
    this.view.setInt32(this.pos, 8);
    this.view.setInt32(this.pos + 4, hi);
    this.view.setUint32(this.pos + 8, v - hi * 4294967296);
    this.pos += 12;
  }

  /** A boolean field (NULL for null). */
  bool(b: boolean | null): void {
    if (b === null) return this.nul();
    this.room(5);
    this.view.setInt32(this.pos, 1);
    this.buf[this.pos + 4] = b ? 1 : 0;
    this.pos += 5;
  }

  /** A timestamptz field from epoch microseconds. */
  time(us: number): void {
    this.int8(us - PG_EPOCH_US);
  }

  /** A date field from days since 1970-01-01. */
  date(days: number): void {
    this.int4(days - PG_EPOCH_DAY);
  }

  /** An inet field. */
  inet(a: InetBytes): void {
    this.room(24);
    this.pos = writeInet(this.buf, this.view, this.pos, a);
  }

  /**
   * A bigint[] field of the values `idx` picks: element i is the 64-bit value whose high
   * (signed) and low words are `hi[idx[i]]` and `lo[idx[i]]`.
   */
  int8Array(idx: Int32Array, hi: Int32Array, lo: Uint32Array): void {
    const k = idx.length;
    const bytes = k === 0 ? 12 : 20 + 12 * k;
    this.room(4 + bytes);
    const v = this.view;
    let at = this.pos;
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
    this.pos = at;
  }

  /**
   * An int2[], int4[] or int8[] field (`oid` 21, 23, 20) of values[from, to); null elements
   * as NULL. int8 values must be safe integers.
   */
  intArray(
    oid: 20 | 21 | 23,
    values: ArrayLike<number | null>,
    from = 0,
    to = values.length,
  ): void {
    const size = oid === 20 ? 8 : oid === 23 ? 4 : 2;
    let hasNull = false;
    for (let i = from; i < to; i++) if (values[i] === null) hasNull = true;
    this.room(24 + (to - from) * (4 + size));
    const v = this.view, lenAt = this.pos;
    let p = arrayHead(v, lenAt + 4, oid, to - from, hasNull);
    for (let i = from; i < to; i++) {
      const x = values[i];
      if (x === null) {
        v.setInt32(p, -1);
        p += 4;
        continue;
      }
      v.setInt32(p, size);
      if (size === 2) v.setInt16(p + 4, x);
      else if (size === 4) v.setInt32(p + 4, x);
      else {
        const hi = Math.floor(x / 4294967296);
        v.setInt32(p + 4, hi);
        v.setUint32(p + 8, x - hi * 4294967296);
      }
      p += 4 + size;
    }
    v.setInt32(lenAt, p - lenAt - 4);
    this.pos = p;
  }

  /** The COPY data in blocks: header, rows, trailer. */
  blocks(): Uint8Array[] {
    if (this.#released) throw new Error("BinaryCopyWriter: blocks() after release()");
    const trailer = new Uint8Array([0xff, 0xff]);
    return [...this.#blocks, this.buf.subarray(0, this.pos), trailer];
  }

  /**
   * Hand the blocks back for later writers to fill. Only once nothing reads them any more:
   * after the COPY that sent them has completed (the driver copies each block as it is
   * written to the stream).
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    recycleBlocks([...this.#blocks, this.buf].map((b) => b.buffer));
    this.#blocks = [];
  }

  /**
   * With `grow`: the rows so far with the trailer, in one buffer; the writer starts again
   * empty at once, with a new buffer of the same size.
   */
  take(): Uint8Array {
    if (!this.#grow) throw new Error("BinaryCopyWriter: take() needs the grow option");
    this.room(2);
    this.view.setInt16(this.pos, -1);
    const data = this.buf.subarray(0, this.pos + 2);
    this.buf = new Uint8Array(this.buf.length);
    this.view = new DataView(this.buf.buffer);
    this.#header();
    return data;
  }
}
