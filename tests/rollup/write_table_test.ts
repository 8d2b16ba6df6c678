/**
 * A statistics table's rows as the rollup hands them to the writer: COPY text with escapes,
 * JSON rows, binary COPY; each take leaves the table empty.
 */
import assert from "node:assert/strict";
import { BinaryCopyReader, int32 } from "../../lib/db/binary_copy_read.ts";
import { BinaryTable, isoMicros, TableWriter } from "../../lib/rollup/write_table.ts";

Deno.test("table writer: COPY text escapes names only, JSON keeps every value", () => {
  const text = new TableWriter("t", ["domain", "hit_count"], true);
  text.push(["a\tb\\c\nd", "3"]);
  text.push([null, "4"]);
  const p = text.take();
  assert.ok(p && p.format === "text");
  assert.equal(new TextDecoder().decode(p.data), "a\\tb\\\\c\\nd\t3\n\\N\t4\n");
  assert.equal(p.rows, 2);
  assert.equal(text.take(), null, "empty once taken");
  const json = new TableWriter("t", ["domain", "hit_count"], false);
  json.push(["x\ty", null]);
  const j = json.take();
  assert.ok(j && j.format === "json");
  assert.deepEqual(JSON.parse(j.data), [{ domain: "x\ty", hit_count: null }]);
});

Deno.test("binary table: rows as binary COPY data, then empty", () => {
  const t = new BinaryTable("t", ["n", "s"]);
  assert.equal(t.take(), null);
  for (let i = 0; i < 3; i++) {
    t.writer.fields(2);
    t.writer.int4(i);
    t.writer.text(`r${i}`);
  }
  const p = t.take();
  assert.ok(p && p.format === "binary");
  assert.equal(p.rows, 3);
  const seen: number[] = [];
  new BinaryCopyReader((b, at) => seen.push(int32(b, at + 4))).push(p.data);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(t.rows, 0);
});

Deno.test("isoMicros: six decimals in UTC", () => {
  assert.equal(
    isoMicros(Date.UTC(2026, 10, 25, 20, 43, 16) * 1000 + 780_001),
    "2026-11-25T20:43:16.780001Z",
  );
  assert.equal(isoMicros(0), "1970-01-01T00:00:00.000000Z");
});
