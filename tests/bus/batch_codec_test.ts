import assert from "node:assert/strict";
import { decodeBatch, encodeBatch, toCommitBatch } from "../../lib/bus/batch_codec.ts";
import { Batch } from "../../lib/ingest/batch.ts";
import type { DnstapRow } from "../../lib/ingest/row_sink.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import type { QueryLine } from "../../lib/parse/types.ts";
import { createZoneClock } from "../../lib/time.ts";

const LINES = [
  "06-Nov-2026 10:15:02.123 client @0x7f1c2c0a1b20 192.168.238.20#53422 (www.Example.com): query: www.Example.com IN A +E(0)K (192.168.238.2)",
  "06-Nov-2026 10:15:02.127 client @0x7f1c2c0a1b20 2001:db8::5#1053 (bbc.co.uk): view inside: query: bbc.co.uk IN AAAA -TDC (2001:db8::1) [ECS 10.0.0.0/24/0]",
  "06-Nov-2026 10:15:03.000 client 10.10.10.7#5000 (old.example): query: old.example IN MX",
];

function queryBatch(): Batch {
  const b = new Batch(
    { path: "/var/log/named/queries.log", fingerprint: "fp1", startOffset: 100 },
    {
      format: "columns",
    },
  );
  for (const line of LINES) {
    const q = parseBindLine(line) as QueryLine;
    assert.equal(q.kind, "query", line);
    const at = Date.UTC(2026, 10, 6, 10, 15, 2, 123);
    b.addQuery(q, Math.floor(at / 86_400_000), {
      at,
      domain: q.qname.toLowerCase(),
      apex: "example.com",
      nodeId: 0,
    });
    b.counts.lines++;
  }
  b.addError(
    {
      kind: "error",
      time: 0,
      zoned: true,
      yearless: false,
      clientIp: "192.168.238.20",
      clientPort: 53422,
      view: null,
      qname: "www.example.com",
      qclass: "IN",
      qtype: "A",
      reason: "SERVFAIL",
    },
    Date.UTC(2026, 10, 6, 10, 15, 4),
    Math.floor(Date.UTC(2026, 10, 6) / 86_400_000),
    "www.example.com",
    900,
  );
  b.addReject({
    reason: "garbage",
    byteOffset: 50,
    length: 3,
    sample: new Uint8Array([0, 255, 10]),
  }, true);
  b.endOffset = 1000;
  return b;
}

Deno.test("batch codec: a query-log batch comes back with its rows under the central node id", () => {
  const edge = queryBatch();
  const msg = decodeBatch(encodeBatch(edge, "dns1"));
  assert.equal(msg.node, "dns1");
  assert.deepEqual(msg.source, edge.source);
  assert.equal(msg.endOffset, 1000);
  const central = toCommitBatch(msg, {
    nodeId: 42,
    clock: createZoneClock("UTC"),
    format: "columns",
  });
  const a = (edge.rows as { columns: (string | null)[][] }).columns;
  const b = (central.rows as { columns: (string | null)[][] }).columns;
  const nodeCol = edge.rowColumns.indexOf("node_id");
  for (let c = 0; c < a.length; c++) {
    if (c === nodeCol) assert.deepEqual(b[c], ["42", "42", "42"]);
    else assert.deepEqual(b[c], a[c], `column ${edge.rowColumns[c]}`);
  }
  assert.deepEqual(central.counts, edge.counts);
  assert.deepEqual(central.errors, edge.errors);
  assert.deepEqual([...central.days], [...edge.days]);
  assert.deepEqual(central.rejects[0].sample, new Uint8Array([0, 255, 10]));
  assert.equal(central.endOffset, 1000);
  assert.equal(central.minAt, edge.minAt);
  assert.equal(central.maxAt, edge.maxAt);
  // The binary form takes the same rows.
  const binary = toCommitBatch(msg, {
    nodeId: 42,
    clock: createZoneClock("UTC"),
    format: "binary",
  });
  assert.equal(binary.counts.rows, 3);
  assert.ok("blocks" in binary.rows && binary.rows.blocks.length > 0);
});

Deno.test("batch codec: dnstap rows keep microseconds; waiting queries take the central node id", () => {
  const b = new Batch({ path: "/var/lib/named/dnstap.fstrm", fingerprint: "fp2", startOffset: 0 }, {
    format: "columns",
    dnstap: true,
  });
  const row: DnstapRow = {
    atUs: Date.UTC(2026, 10, 6, 23, 59, 59, 999) * 1000 + 456,
    client: "10.10.10.7",
    port: 5353,
    domain: "example.com",
    apex: "example.com",
    qtype: "A",
    flags: "+E(0)",
    nodeId: 0,
    qclass: "IN",
    transport: "udp",
    rd: true,
    edns: 0,
    dnssecOk: false,
    cd: null,
    ecs: null,
    server: "10.10.10.1",
    rcode: "NXDOMAIN",
    latencyUs: 1234,
    size: 99,
    responseFlags: "qr rd ra",
    answerCount: 0,
  };
  b.addDnstapRow(row, Math.floor(row.atUs / 86_400_000_000));
  b.dnstap = {
    waiting: [{
      key: "k1",
      atUs: row.atUs,
      values: ["t", "10.10.10.7", null, null, null, null, null, "0"],
    }],
    answered: ["k0"],
    expireBefore: new Date(Date.UTC(2026, 10, 6, 23, 59)),
  };
  b.endOffset = 4096;
  const msg = decodeBatch(encodeBatch(b, "dns2"));
  const central = toCommitBatch(msg, {
    nodeId: 7,
    clock: createZoneClock("UTC"),
    format: "columns",
  });
  const cols = (central.rows as { columns: (string | null)[][] }).columns;
  const edgeCols = (b.rows as { columns: (string | null)[][] }).columns;
  assert.equal(cols[0][0], edgeCols[0][0]);
  assert.equal(cols[0][0], "2026-11-06T23:59:59.999456Z");
  assert.equal(cols[b.rowColumns.indexOf("response_rcode")][0], "NXDOMAIN");
  assert.equal(cols[b.rowColumns.indexOf("node_id")][0], "7");
  assert.equal(central.dnstap!.waiting[0].values[7], "7");
  assert.deepEqual(central.dnstap!.answered, ["k0"]);
  assert.equal(central.dnstap!.expireBefore.getTime(), b.dnstap.expireBefore.getTime());
});

Deno.test("batch codec: anything else is refused", () => {
  assert.throws(() => decodeBatch(new TextEncoder().encode("{}")));
  const binary = new Batch({ path: "x", fingerprint: "f", startOffset: 0 });
  assert.throws(() => encodeBatch(binary, "n"), /text columns/);
});
