import assert from "node:assert/strict";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import type { QueryLine } from "../../lib/parse/types.ts";
import { BinaryCopySink } from "../../lib/ingest/binary_sink.ts";
import { ColumnSink, COPY_COLUMNS } from "../../lib/ingest/row_sink.ts";

const LINES = [
  "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): query: youtube.com IN A +E(0)K (127.0.0.1)",
  "25-Nov-2026 20:16:21.788 client @0x7f843d033c98 ::1#44618 (www.youtube.com): query: www.youtube.com IN AAAA +E(0)K (::1) [ECS 2c0f:fe38::/32/0]",
  "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (google.com): query: google.com IN A + (127.0.0.1)",
  "25-Nov-2026 20:31:42.716 client @0x7fc4c001c098 127.0.0.7#34756 (www.codeandcore.home): view external: query: www.codeandcore.home IN A -E(0)TDCK (127.0.0.1) [ECS 41.210.128.0/24/0]",
  "28-Feb-2000 15:05:32.863 client 192.0.2.1#53: query: x.example IN MX",
];

/** Decode PostgreSQL binary COPY data back into rows of raw field bytes. */
function decode(bytes: Uint8Array): (Uint8Array | null)[][] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.deepEqual([...bytes.subarray(0, 11)], [
    ...new TextEncoder().encode("PGCOPY\n"),
    0xff,
    13,
    10,
    0,
  ]);
  let p = 19;
  const rows: (Uint8Array | null)[][] = [];
  for (;;) {
    const n = v.getInt16(p);
    p += 2;
    if (n === -1) break;
    const row: (Uint8Array | null)[] = [];
    for (let i = 0; i < n; i++) {
      const len = v.getInt32(p);
      p += 4;
      row.push(len < 0 ? null : bytes.subarray(p, p + len));
      if (len > 0) p += len;
    }
    rows.push(row);
  }
  assert.equal(p, bytes.length, "nothing after the trailer");
  return rows;
}

function concat(blocks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(blocks.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

Deno.test("binary COPY rows survive block boundaries anywhere", () => {
  const parsed = LINES.map((l) => parseBindLine(l) as QueryLine);
  for (const blockBytes of [64, 100, 257, 1 << 20]) {
    const sink = new BinaryCopySink({ blockBytes });
    for (let i = 0; i < 200; i++) {
      const q = parsed[i % parsed.length];
      assert.ok(
        sink.add(q, { at: q.time + i, domain: `d${i}.é.example`, apex: "example", nodeId: 7 }),
      );
    }
    const rows = decode(concat(sink.blocks()));
    assert.equal(rows.length, 200);
    for (const [i, row] of rows.entries()) {
      const q = parsed[i % parsed.length];
      assert.equal(row.length, COPY_COLUMNS.length);
      const dv = new DataView(row[0]!.buffer, row[0]!.byteOffset, 8);
      const us = dv.getInt32(0) * 4294967296 + dv.getUint32(4);
      assert.equal(us / 1000 + 946_684_800_000, q.time + i, "queried_at");
      assert.equal(new TextDecoder().decode(row[3]!), `d${i}.é.example`);
      assert.equal(new DataView(row[7]!.buffer, row[7]!.byteOffset, 4).getInt32(0), 7);
      const client = row[1]!;
      assert.equal(client[0], q.clientIp.includes(":") ? 3 : 2, "inet family");
      assert.equal(row[2] === null, q.clientPort === null);
      assert.equal(row[10] === null, q.flags === null, "transport only with flags");
      if (q.ednsVersion !== null) assert.equal(row[12]!.length, 2);
      assert.equal(row[15] === null, q.ecsSubnet === null, "client_subnet");
      assert.equal(row[16] === null, q.serverIp === null, "server_ip");
    }
  }
});

Deno.test("an unusable client address adds nothing", () => {
  const q = { ...(parseBindLine(LINES[0]) as QueryLine), clientIp: "999.1.1.1" };
  const sink = new BinaryCopySink();
  assert.equal(sink.add(q, { at: 0, domain: "a", apex: "a", nodeId: 1 }), false);
  assert.equal(sink.rows, 0);
  const cols = new ColumnSink();
  assert.equal(cols.add(q, { at: 0, domain: "a", apex: "a", nodeId: 1 }), false);
  assert.equal(cols.rows, 0);
});

Deno.test("column rows carry the same values as text", () => {
  const q = parseBindLine(LINES[3]) as QueryLine;
  const sink = new ColumnSink();
  sink.add(q, { at: q.time, domain: "www.codeandcore.home", apex: "codeandcore.home", nodeId: 2 });
  const row = sink.columns.map((c) => c[0]);
  assert.deepEqual(row, [
    "2026-11-25T20:31:42.716Z",
    "127.0.0.7",
    "34756",
    "www.codeandcore.home",
    "codeandcore.home",
    "A",
    "-E(0)TDCK",
    "2",
    "IN",
    "external",
    "tcp",
    "f",
    "0",
    "t",
    "t",
    "41.210.128.0/24",
    "127.0.0.1",
  ]);
});
