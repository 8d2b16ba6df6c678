import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { LineSplitter, type RawReject, readLines } from "../../lib/tail/line_reader.ts";

async function collect(path: string, startOffset = 0, maxLineBytes?: number) {
  const items: Array<string | RawReject> = [];
  const ends: number[] = [];
  const gen = readLines(path, { startOffset, maxLineBytes });
  for (;;) {
    const r = await gen.next();
    if (r.done) return { items, ends, end: r.value };
    items.push(...r.value.items);
    ends.push(...r.value.ends);
  }
}

async function tempFile(bytes: Uint8Array | string, name = "x.log"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-lr-" });
  const path = join(dir, name);
  await Deno.writeFile(path, typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
  return path;
}

Deno.test("lines carry byte offsets, not string lengths", async () => {
  const path = await tempFile("a\ncafé\nb\n");
  const { items, ends, end } = await collect(path);
  assert.deepEqual(items, ["a", "café", "b"]);
  assert.deepEqual(ends, [2, 8, 10]); // "café" is 5 bytes
  assert.deepEqual(end, { offset: 10, pendingBytes: 0 });
});

Deno.test("an unterminated last line is pending and the offset stays before it", async () => {
  const path = await tempFile("one\ntwo\nthr");
  const { items, end } = await collect(path);
  assert.deepEqual(items, ["one", "two"]);
  assert.deepEqual(end, { offset: 8, pendingBytes: 3 });
  const again = await collect(path, 8);
  assert.deepEqual(again.items, []);
  assert.equal(again.end.pendingBytes, 3);
});

Deno.test("invalid UTF-8 and NUL bytes become rejects, the lines around them survive", async () => {
  const bytes = new Uint8Array([
    ...new TextEncoder().encode("good 1\n"),
    0x61,
    0xff,
    0xfe,
    0x62,
    0x0a,
    0x61,
    0x00,
    0x62,
    0x0a,
    ...new TextEncoder().encode("good 2\n"),
  ]);
  const path = await tempFile(bytes);
  const { items, ends } = await collect(path);
  assert.equal(items.length, 4);
  assert.equal(items[0], "good 1");
  assert.equal((items[1] as RawReject).reason, "invalid_utf8");
  assert.deepEqual([...(items[1] as RawReject).sample], [0x61, 0xff, 0xfe, 0x62]);
  assert.equal((items[2] as RawReject).reason, "nul_byte");
  assert.equal(items[3], "good 2");
  assert.deepEqual(ends, [7, 12, 16, 23]);
});

Deno.test("a 1 MB line is one reject with a bounded sample; reading goes on", async () => {
  const big = "x".repeat(1_000_000);
  const path = await tempFile(`before\n${big}\nafter\n`);
  const { items, ends } = await collect(path);
  assert.equal(items.length, 3);
  assert.equal(items[0], "before");
  const r = items[1] as RawReject;
  assert.equal(r.reason, "too_long");
  assert.equal(r.length, 1_000_000);
  assert.equal(r.sample.length, 1024);
  assert.equal(items[2], "after");
  assert.equal(ends[2], 7 + 1_000_001 + 6);
});

Deno.test("a long line spanning read blocks is discarded as it streams", () => {
  const s = new LineSplitter(0, 100, 16);
  const enc = new TextEncoder();
  assert.deepEqual(s.push(enc.encode("ok\n" + "y".repeat(80))).items, ["ok"]);
  assert.deepEqual(s.push(enc.encode("y".repeat(80))).items, []);
  const last = s.push(enc.encode("yy\nfine\n"));
  assert.equal((last.items[0] as RawReject).reason, "too_long");
  assert.equal((last.items[0] as RawReject).length, 162);
  assert.equal(last.items[1], "fine");
  assert.deepEqual(last.ends, [3 + 163, 3 + 163 + 5]);
});

Deno.test("a multi-byte character split across blocks decodes whole", () => {
  const s = new LineSplitter(0, 1000);
  const bytes = new TextEncoder().encode("café\n");
  assert.deepEqual(s.push(bytes.subarray(0, 4)).items, []);
  const r = s.push(bytes.subarray(4));
  assert.deepEqual(r.items, ["café"]);
  assert.deepEqual(r.ends, [6]);
});

Deno.test("gzip files are read with offsets of the uncompressed content", async () => {
  const text = "l1\nl2\nl3\n";
  const path = await tempFile(gzipSync(new TextEncoder().encode(text)), "q.log.1.gz");
  const all = await collect(path);
  assert.deepEqual(all.items, ["l1", "l2", "l3"]);
  const tail = await collect(path, 3);
  assert.deepEqual(tail.items, ["l2", "l3"]);
  assert.deepEqual(tail.ends, [6, 9]);
});

Deno.test("an empty file yields nothing", async () => {
  const path = await tempFile("");
  const { items, end } = await collect(path);
  assert.deepEqual(items, []);
  assert.deepEqual(end, { offset: 0, pendingBytes: 0 });
});

Deno.test("a fast path takes lines it finds the end of; the rest are items, long ones rejected", () => {
  const enc = new TextEncoder();
  const taken: string[] = [];
  // Takes lines starting with "F", finding their newline itself, never at or past `limit`.
  const fast = (d: Uint8Array, s: number, limit: number) => {
    if (d[s] !== 70) return -1;
    for (let i = s; i < limit; i++) {
      if (d[i] === 10) {
        taken.push(new TextDecoder().decode(d.subarray(s, i)));
        return i;
      }
    }
    return -1;
  };
  const splitter = new LineSplitter(100, 8);
  const block = splitter.push(enc.encode("F1\nslow\nF22\nF123456789\nF3\npart"), fast);
  assert.deepEqual(taken, ["F1", "F22", "F3"]);
  assert.equal(block.lines, 5);
  assert.deepEqual(block.items.map((x) => typeof x === "string" ? x : x.reason), [
    "slow",
    "too_long",
  ]);
  assert.deepEqual(block.starts, [103, 112]);
  assert.deepEqual(block.ends, [108, 123]);
  assert.equal(block.end, 126);
  assert.deepEqual(splitter.end(), { offset: 126, pendingBytes: 4 });
});

Deno.test("the end of a rotated file: its unterminated last line is one unterminated reject", () => {
  const s = new LineSplitter(100, 16, 4);
  const block = s.push(new TextEncoder().encode("ab\ncdefg"));
  assert.deepEqual([block.items, block.end], [["ab"], 103]);
  const last = s.endFinal();
  assert.equal(last.lines, 1);
  assert.deepEqual(last.starts, [103]);
  assert.deepEqual(last.ends, [108]);
  assert.equal(last.end, 108);
  const r = last.items[0] as RawReject;
  assert.equal(r.reason, "unterminated");
  assert.equal(r.length, 5);
  assert.deepEqual(new TextDecoder().decode(r.sample), "cdef");
  assert.deepEqual(s.end(), { offset: 108, pendingBytes: 0 });
  // A file that ends with its newline has nothing left over.
  const done = new LineSplitter(0, 16);
  done.push(new TextEncoder().encode("a\n"));
  assert.deepEqual([done.endFinal().lines, done.end().offset], [0, 2]);
});

Deno.test("an unterminated last line longer than the limit is still one unterminated reject", () => {
  const s = new LineSplitter(0, 8, 4);
  s.push(new TextEncoder().encode("0123456789"));
  s.push(new TextEncoder().encode("abcdef"));
  const last = s.endFinal();
  const r = last.items[0] as RawReject;
  assert.deepEqual([r.reason, r.length, last.end], ["unterminated", 16, 16]);
  assert.equal(new TextDecoder().decode(r.sample), "0123");
});
