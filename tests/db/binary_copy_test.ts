/**
 * The binary COPY writer and reader agree with each other and with the format's layout:
 * tuples survive any block size and any chunking of the data, the `grow` buffer hands out
 * whole COPY data per take, and inet values decode to PostgreSQL's text.
 */
import assert from "node:assert/strict";
import { BinaryCopyWriter } from "../../lib/db/binary_copy.ts";
import {
  BinaryCopyReader,
  inetKey,
  inetText,
  int32,
  readTime,
} from "../../lib/db/binary_copy_read.ts";
import { Inet } from "../../lib/ingest/address.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every tuple of `data` as the field byte ranges, read in chunks of `chunk` bytes. */
function tuples(data: Uint8Array, chunk: number): { b: Uint8Array; fields: number[] }[] {
  const out: { b: Uint8Array; fields: number[] }[] = [];
  const reader = new BinaryCopyReader((b, at) => {
    const fields: number[] = [];
    let p = at;
    for (let f = 0; f < 7; f++) {
      fields.push(p);
      const len = int32(b, p);
      p += 4 + (len > 0 ? len : 0);
    }
    out.push({ b: b.slice(), fields });
  });
  for (let at = 0; at < data.length; at += chunk) {
    reader.push(data, at, Math.min(data.length, at + chunk));
  }
  assert.ok(reader.done, "the trailer was read");
  return out;
}

function writeRows(w: BinaryCopyWriter, n: number): void {
  const addr = new Inet();
  for (let i = 0; i < n; i++) {
    w.fields(7);
    w.time(Date.UTC(2026, 10, 25, 12) * 1000 + i);
    assert.ok(addr.parse(i % 2 ? `2001:db8::${i.toString(16)}` : `192.0.2.${i % 256}`, false));
    w.inet(addr);
    w.int4(i);
    w.text(i % 3 === 0 ? null : `d${i}.é.example`);
    w.bool(i % 5 === 0 ? null : i % 2 === 0);
    w.int2(i % 100);
    w.int8(2 ** 40 + i);
  }
}

Deno.test("binary COPY: tuples written in blocks of any size read back from any chunking", () => {
  for (const blockBytes of [64, 97, 1 << 20]) {
    const w = new BinaryCopyWriter({ blockBytes });
    writeRows(w, 300);
    assert.equal(w.rows, 300);
    const data = concat(w.blocks());
    for (const chunk of [1, 7, 4096, data.length]) {
      const rows = tuples(data, chunk);
      assert.equal(rows.length, 300);
      for (const [i, { b, fields }] of rows.entries()) {
        assert.equal(readTime(b, fields[0] + 4), Date.UTC(2026, 10, 25, 12) * 1000 + i);
        const ip = inetText(b, fields[1] + 4);
        assert.equal(ip, i % 2 ? `2001:db8:0:0:0:0:0:${i.toString(16)}` : `192.0.2.${i % 256}`);
        assert.equal(int32(b, fields[2] + 4), i);
        const textLen = int32(b, fields[3]);
        if (i % 3 === 0) assert.equal(textLen, -1);
        else {
          const s = new TextDecoder().decode(b.subarray(fields[3] + 4, fields[3] + 4 + textLen));
          assert.equal(s, `d${i}.é.example`);
        }
        assert.equal(int32(b, fields[4]), i % 5 === 0 ? -1 : 1);
        assert.equal(int32(b, fields[6]), 8);
        assert.equal(
          int32(b, fields[6] + 4) * 2 ** 32 + (int32(b, fields[6] + 8) >>> 0),
          2 ** 40 + i,
        );
      }
    }
    w.release();
    assert.throws(() => w.blocks(), /after release/);
  }
});

Deno.test("binary COPY: a growing writer hands out whole COPY data and starts again", () => {
  const w = new BinaryCopyWriter({ grow: true, blockBytes: 32 });
  writeRows(w, 50);
  const first = w.take();
  assert.equal(w.rows, 0, "empty at once");
  writeRows(w, 3);
  const second = w.take();
  assert.equal(tuples(first, 13).length, 50);
  assert.equal(tuples(second, 13).length, 3);
  assert.deepEqual([...first.subarray(0, 11)], [...second.subarray(0, 11)], "both have a header");
  assert.throws(() => new BinaryCopyWriter().take(), /grow/);
});

Deno.test("binary COPY: inet values decode to text and keys", () => {
  const w = new BinaryCopyWriter({ grow: true });
  const cases: [string, boolean, string][] = [
    ["10.1.2.3", false, "10.1.2.3"],
    ["41.210.128.0/24", true, "41.210.128.0/24"],
    ["::1", false, "0:0:0:0:0:0:0:1"],
    ["2c0f:fe38::/32", true, "2c0f:fe38:0:0:0:0:0:0/32"],
  ];
  const a = new Inet();
  for (const [addr, prefix] of cases) {
    assert.ok(a.parse(addr, prefix), addr);
    w.fields(1);
    w.inet(a);
  }
  const data = w.take();
  const keys: (number | string)[] = [];
  const texts: string[] = [];
  new BinaryCopyReader((b, at) => {
    texts.push(inetText(b, at + 4));
    keys.push(inetKey(b, at + 4, int32(b, at)));
  }).push(data);
  assert.deepEqual(texts, cases.map((c) => c[2]));
  assert.equal(keys[0], (10 << 24) + (1 << 16) + (2 << 8) + 3, "an IPv4 host is a number");
  assert.equal(typeof keys[1], "string", "a subnet is not a host");
  assert.equal(new Set(keys).size, keys.length);
});
