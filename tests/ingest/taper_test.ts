/**
 * The last batches of a one-shot ingest get smaller (LineReader's taper): every line still in
 * exactly one batch, in order.
 */
import assert from "node:assert/strict";
import { Batch } from "../../lib/ingest/batch.ts";
import { createRunState, LineReader } from "../../lib/ingest/line_handler.ts";

const SOURCE = { path: "q.log", fingerprint: "f", startOffset: 0 };

function log(lines: number): Uint8Array {
  const out: string[] = [];
  const t0 = Date.UTC(2026, 11, 7, 10);
  for (let i = 0; i < lines; i++) {
    const t = new Date(t0 + i * 3).toISOString();
    out.push(
      `07-Dec-2026 ${t.slice(11, 23)} client @0x7f1 10.0.${(i >> 8) & 255}.${i & 255}#${
        1024 + (i % 60000)
      } (h${i % 977}.example.com): query: h${i % 977}.example.com IN A +E(0)K (10.0.0.1)`,
    );
  }
  return new TextEncoder().encode(out.join("\n") + "\n");
}

async function batchSizes(data: Uint8Array, taperEnd: number): Promise<number[]> {
  const state = createRunState({ tz: "UTC", nodeId: 1, fast: true, privacy: null });
  const reader = new LineReader(state, 0, 20_000, taperEnd);
  const sizes: number[] = [];
  let last = 0;
  const cursor = {
    batch: new Batch(SOURCE, { format: "blocks" }),
    cut() {
      assert.equal(this.batch.source.startOffset, last);
      last = this.batch.endOffset;
      sizes.push(this.batch.counts.rows);
      this.batch = new Batch({ ...SOURCE, startOffset: last }, { format: "blocks" });
      return Promise.resolve();
    },
  };
  for (let at = 0; at < data.length; at += 65536) {
    await reader.push(data.subarray(at, at + 65536), cursor);
  }
  reader.end(cursor, true);
  await cursor.cut();
  assert.equal(last, data.length);
  return sizes;
}

Deno.test("taper: near a file's end the batches halve down to 4,096 rows; every line in one; a short file is one batch", async () => {
  const data = log(100_000);
  const plain = await batchSizes(data, Infinity);
  assert.equal(plain.reduce((a, b) => a + b), 100_000);
  assert.ok(plain.slice(0, -1).every((n) => n >= 20_000), `${plain}`);
  const tapered = await batchSizes(data, data.length);
  assert.equal(tapered.reduce((a, b) => a + b), 100_000);
  const tail = tapered.slice(tapered.findIndex((n) => n < 20_000));
  assert.ok(tail.length >= 3, `${tapered}`);
  for (let i = 1; i < tail.length - 1; i++) assert.ok(tail[i] <= tail[i - 1], `${tapered}`);
  assert.ok(tail.slice(0, -1).every((n) => n >= 4096), `${tapered}`);
  assert.ok(tapered.at(-1)! < 8192, `last batch ${tapered.at(-1)} rows: ${tapered}`);
  // A file shorter than a batch is one batch.
  const short = log(15_000);
  assert.deepEqual(await batchSizes(short, short.length), [15_000]);
});
