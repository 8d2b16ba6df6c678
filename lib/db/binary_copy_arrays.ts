/**
 * Array fields of binary COPY rows built from JavaScript arrays: text[], boolean[] and inet[]
 * with NULL elements (the writer's own {@linkcode BinaryCopyWriter.intArray} and
 * {@linkcode BinaryCopyWriter.int8Array} cover integers). The block layouts compared by
 * `deno task bench:blocks` are written with them.
 *
 * @module
 */
import { arrayHead, type BinaryCopyWriter, type InetBytes, writeInet } from "./binary_copy.ts";

const BOOL_OID = 16;
const TEXT_OID = 25;
const INET_OID = 869;
const ENCODER = new TextEncoder();

/** A text[] field of values[from, to) (null elements as NULL). */
export function textArray(
  w: BinaryCopyWriter,
  values: readonly (string | null)[],
  from = 0,
  to = values.length,
): void {
  let most = 24, hasNull = false;
  for (let i = from; i < to; i++) {
    const s = values[i];
    if (s === null) hasNull = true;
    most += 4 + (s === null ? 0 : s.length * 3);
  }
  w.room(most);
  const buf = w.buf, v = w.view, lenAt = w.pos;
  let p = arrayHead(v, lenAt + 4, TEXT_OID, to - from, hasNull);
  for (let i = from; i < to; i++) {
    const s = values[i];
    if (s === null) {
      v.setInt32(p, -1);
      p += 4;
      continue;
    }
    const start = p + 4, n = s.length;
    let q = start;
    for (let j = 0; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c < 128) buf[q++] = c;
      else {
        q += ENCODER.encodeInto(s.slice(j), buf.subarray(q)).written;
        break;
      }
    }
    v.setInt32(p, q - start);
    p = q;
  }
  v.setInt32(lenAt, p - lenAt - 4);
  w.pos = p;
}

/** A boolean[] field of values[from, to) (null elements as NULL). */
export function boolArray(
  w: BinaryCopyWriter,
  values: readonly (boolean | null)[],
  from = 0,
  to = values.length,
): void {
  let hasNull = false;
  for (let i = from; i < to; i++) if (values[i] === null) hasNull = true;
  w.room(24 + (to - from) * 5);
  const v = w.view, lenAt = w.pos;
  let p = arrayHead(v, lenAt + 4, BOOL_OID, to - from, hasNull);
  for (let i = from; i < to; i++) {
    const x = values[i];
    if (x === null) {
      v.setInt32(p, -1);
      p += 4;
    } else {
      v.setInt32(p, 1);
      w.buf[p + 4] = x ? 1 : 0;
      p += 5;
    }
  }
  v.setInt32(lenAt, p - lenAt - 4);
  w.pos = p;
}

/** An inet[] field of values[from, to) (null elements as NULL). */
export function inetArray(
  w: BinaryCopyWriter,
  values: readonly (InetBytes | null)[],
  from = 0,
  to = values.length,
): void {
  let hasNull = false;
  for (let i = from; i < to; i++) if (values[i] === null) hasNull = true;
  w.room(24 + (to - from) * 24);
  const buf = w.buf, v = w.view, lenAt = w.pos;
  let p = arrayHead(v, lenAt + 4, INET_OID, to - from, hasNull);
  for (let i = from; i < to; i++) {
    const a = values[i];
    if (a === null) {
      v.setInt32(p, -1);
      p += 4;
    } else p = writeInet(buf, v, p, a);
  }
  v.setInt32(lenAt, p - lenAt - 4);
  w.pos = p;
}
