import assert from "node:assert/strict";
import {
  BatchCodecError,
  decodeBatch,
  encodeBatch,
  rowEncoding,
  toCommitBatch,
} from "../../lib/bus/batch_codec.ts";
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

/** The query lines, an error line and a reject as an edge (node id 0) or a node `nodeId` reads them. */
function queryBatch(nodeId = 0): Batch {
  const b = new Batch({ path: "/var/log/named/queries.log", fingerprint: "fp1", startOffset: 100 });
  for (const line of LINES) {
    const q = parseBindLine(line) as QueryLine;
    assert.equal(q.kind, "query", line);
    const at = Date.UTC(2026, 10, 6, 10, 15, 2, 123);
    b.addQuery(q, Math.floor(at / 86_400_000), {
      at,
      domain: q.qname.toLowerCase(),
      apex: "example.com",
      nodeId,
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
    Date.UTC(2026, 10, 7, 0, 0, 4),
    Math.floor(Date.UTC(2026, 10, 7) / 86_400_000),
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

function concat(blocks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

Deno.test("batch codec: a query-log batch comes back as the COPY data of the central node", () => {
  const edge = queryBatch();
  const msg = decodeBatch(encodeBatch(edge, "dns1"));
  assert.equal(msg.node, "dns1");
  assert.deepEqual(msg.source, edge.source);
  assert.equal(msg.endOffset, 1000);
  const central = toCommitBatch(msg, { nodeId: 42, clock: createZoneClock("UTC") });
  // Byte for byte what the node itself would send to PostgreSQL.
  const direct = queryBatch(42);
  assert.ok("blocks" in central.rows && "blocks" in direct.rows);
  assert.deepEqual(concat(central.rows.blocks), concat(direct.rows.blocks));
  assert.deepEqual(central.rowColumns, direct.rowColumns);
  assert.deepEqual(central.counts, edge.counts);
  assert.deepEqual(central.errors, edge.errors);
  // The rows' day and the error line's day (the next one).
  assert.deepEqual([...central.days].sort(), [...edge.days].sort());
  assert.equal([...central.days].length, 2);
  assert.deepEqual(central.rejects[0].sample, new Uint8Array([0, 255, 10]));
  assert.equal(central.endOffset, 1000);
  assert.equal(central.minAt, edge.minAt);
  assert.equal(central.maxAt, edge.maxAt);
});

Deno.test("batch codec: dnstap rows and waiting queries take the central node id", () => {
  const dnstapBatch = (nodeId: number) => {
    const b = new Batch(
      { path: "/var/lib/named/dnstap.fstrm", fingerprint: "fp2", startOffset: 0 },
      {
        dnstap: true,
      },
    );
    const row: DnstapRow = {
      atUs: Date.UTC(2026, 10, 6, 23, 59, 59, 999) * 1000 + 456,
      client: "10.10.10.7",
      port: 5353,
      domain: "example.com",
      apex: "example.com",
      qtype: "A",
      flags: "+E(0)",
      nodeId,
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
        values: ["t", "10.10.10.7", null, null, null, null, null, String(nodeId)],
      }],
      answered: ["k0"],
      expireBefore: new Date(Date.UTC(2026, 10, 6, 23, 59)),
    };
    b.endOffset = 4096;
    return b;
  };
  const edge = dnstapBatch(0);
  const msg = decodeBatch(encodeBatch(edge, "dns2"));
  const central = toCommitBatch(msg, { nodeId: 7, clock: createZoneClock("UTC") });
  const direct = dnstapBatch(7);
  assert.ok("blocks" in central.rows && "blocks" in direct.rows);
  assert.deepEqual(concat(central.rows.blocks), concat(direct.rows.blocks));
  assert.deepEqual(central.dnstap!.waiting, direct.dnstap!.waiting);
  assert.deepEqual(central.dnstap!.answered, ["k0"]);
  assert.equal(central.dnstap!.expireBefore.getTime(), edge.dnstap!.expireBefore.getTime());
  assert.deepEqual([...central.days], [...edge.days]);
});

Deno.test("batch codec: another encoding or anything else is refused", () => {
  assert.throws(() => decodeBatch(new TextEncoder().encode("{}")), BatchCodecError);
  const columns = new Batch({ path: "x", fingerprint: "f", startOffset: 0 }, { format: "columns" });
  assert.throws(() => encodeBatch(columns, "n"), /binary COPY rows/);
  const msg = decodeBatch(encodeBatch(queryBatch(), "dns1"));
  assert.equal(msg.encoding, rowEncoding());
  assert.throws(
    () => toCommitBatch({ ...msg, encoding: "0000" }, { nodeId: 1, clock: createZoneClock("UTC") }),
    BatchCodecError,
  );
});
