/**
 * PostgreSQL reads what lib/db/binary_copy.ts writes, and lib/db/binary_copy_read.ts reads what
 * PostgreSQL writes: every field type the program sends, through COPY FROM STDIN and back
 * through COPY TO STDOUT (lib/db/copy.ts).
 */
import assert from "node:assert/strict";
import { BinaryCopyWriter } from "../../lib/db/binary_copy.ts";
import { BinaryCopyReader, inetText, int32, readTime } from "../../lib/db/binary_copy_read.ts";
import { copyIn, copyOut } from "../../lib/db/copy.ts";
import { Inet } from "../../lib/ingest/address.ts";
import { createTestDb } from "./pg.ts";

const COLUMNS = ["at", "ip", "net", "n", "s", "b", "e", "h", "d", "hashes"];

Deno.test("binary COPY: PostgreSQL stores the writer's fields and the reader decodes PostgreSQL's", async () => {
  const db = await createTestDb();
  try {
    await db.sql.unsafe(`create table t (at timestamptz, ip inet, net inet, n int, s text,
      b boolean, e smallint, h bigint, d date, hashes bigint[])`);
    const w = new BinaryCopyWriter({ blockBytes: 100 });
    const ip = new Inet(), net = new Inet();
    const at = Date.UTC(2026, 10, 25, 20, 43, 16) * 1000 + 780_123;
    for (let i = 0; i < 50; i++) {
      w.fields(COLUMNS.length);
      w.time(at + i);
      ip.parse(i % 2 ? "2001:db8::53" : `192.0.2.${i}`, false);
      w.inet(ip);
      if (i % 7 === 0) w.nul();
      else {
        net.parse("41.210.128.0/24", true);
        w.inet(net);
      }
      w.int4(-i);
      w.text(i % 3 ? `ü${i}.example` : null);
      w.bool(i % 4 === 0 ? null : i % 2 === 1);
      w.int2(i);
      w.int8(-(2 ** 50) + i);
      w.date(Date.UTC(2026, 10, 25) / 86_400_000 + i);
      w.int8Array(
        Int32Array.of(0, 1),
        Int32Array.of(-1, 0x7fffffff),
        Uint32Array.of(0xffffffff - i, i),
      );
    }
    await db.sql.begin((tx) => copyIn(tx, "t", COLUMNS, w.blocks()));
    const rows = await db.sql.unsafe<Record<string, string | null>[]>(
      `select to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as at, host(ip) as ip,
        net::text, n::text, s, b::text, e::text, h::text, d::text, hashes::text
       from t order by t.e`,
    );
    assert.equal(rows.length, 50);
    for (const [i, r] of rows.entries()) {
      assert.equal(r.at, `2026-11-25 20:43:16.${String(780_123 + i).padStart(6, "0")}`);
      assert.equal(r.ip, i % 2 ? "2001:db8::53" : `192.0.2.${i}`);
      assert.equal(r.net, i % 7 === 0 ? null : "41.210.128.0/24");
      assert.equal(r.n, String(-i));
      assert.equal(r.s, i % 3 ? `ü${i}.example` : null);
      assert.equal(r.b, i % 4 === 0 ? null : String(i % 2 === 1));
      assert.equal(r.e, String(i));
      assert.equal(r.h, String(-(2 ** 50) + i));
      assert.equal(r.d, new Date(Date.UTC(2026, 10, 25 + i)).toISOString().slice(0, 10));
      assert.equal(r.hashes, `{-${i + 1},${2n ** 63n - 2n ** 32n + BigInt(i)}}`);
    }
    // And back: PostgreSQL's binary COPY of the same rows, read in its chunks.
    const back: { at: number; ip: string; n: number }[] = [];
    const reader = new BinaryCopyReader((b, p) => {
      // The offsets of the fields' length words.
      const at: number[] = [];
      for (let f = 0, q = p; f < 4; f++) {
        at.push(q);
        q += 4 + Math.max(0, int32(b, q));
      }
      back.push({ at: readTime(b, at[0] + 4), ip: inetText(b, at[1] + 4), n: int32(b, at[3] + 4) });
    });
    const conn = await db.sql.reserve();
    try {
      await copyOut(
        conn as unknown as typeof db.sql,
        "copy (select at, ip, net, n from t order by e) to stdout (format binary)",
        (chunk) => reader.push(chunk),
      );
    } finally {
      conn.release();
    }
    assert.ok(reader.done);
    assert.deepEqual(
      back,
      Array.from({ length: 50 }, (_, i) => ({
        at: at + i,
        ip: i % 2 ? "2001:db8:0:0:0:0:0:53" : `192.0.2.${i}`,
        n: i === 0 ? 0 : -i,
      })),
    );
  } finally {
    await db.drop();
  }
});
