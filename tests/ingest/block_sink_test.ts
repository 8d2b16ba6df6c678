import assert from "node:assert/strict";
import { BinaryCopyReader, inetText, int32, readTime } from "../../lib/db/binary_copy_read.ts";
import { Inet } from "../../lib/ingest/address.ts";
import {
  BLOCK_COLUMNS,
  BLOCK_ROWS,
  BlockSink,
  CLIENT_BUCKETS,
  clientBucket,
  setBlockNode,
} from "../../lib/ingest/block_sink.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import { bloomHas } from "../../lib/ingest/name_bloom.ts";
import type { QueryLine } from "../../lib/parse/types.ts";

const DAY = 86_400_000;

/** The bucket of an address given as text. */
function bucketOf(s: string): number {
  const a = new Inet();
  assert.ok(a.parse(s, false), s);
  return clientBucket(a);
}

/** The elements of a one-dimensional binary array field at b[at] (after its length word). */
function elements(b: Uint8Array, at: number): { at: number; len: number }[] {
  const ndim = int32(b, at);
  if (ndim === 0) return [];
  const n = int32(b, at + 12);
  const out = [];
  let p = at + 20;
  for (let i = 0; i < n; i++) {
    const len = int32(b, p);
    out.push({ at: p + 4, len });
    p += 4 + Math.max(len, 0);
  }
  return out;
}

interface Block {
  node: number;
  /** apex_bloom and the distinct apexes of the rows. */
  apexBloom: Uint8Array;
  apexes: string[];
  first: number;
  n: number;
  clients: string[];
  rows: { us: number; client: string; domain: string }[];
}

/** The block rows of a BlockSink's COPY data (fields as BLOCK_COLUMNS orders them). */
function decode(data: Uint8Array[]): Block[] {
  const blocks: Block[] = [];
  const text = new TextDecoder();
  const reader = new BinaryCopyReader((b, start) => {
    const fields: number[] = [];
    let p = start;
    for (let f = 0; f < BLOCK_COLUMNS.length; f++) {
      fields.push(p + 4);
      p += 4 + Math.max(int32(b, p), 0);
    }
    const first = readTime(b, fields[1]);
    const n = int32(b, fields[3]);
    const clients = elements(b, fields[4]).map((e) => inetText(b, e.at));
    const at = elements(b, fields[8]).map((e) =>
      int32(b, e.at) * 4294967296 + (int32(b, e.at + 4) >>> 0)
    );
    const ips = elements(b, fields[9]).map((e) => inetText(b, e.at));
    const names = elements(b, fields[11]).map((e) => text.decode(b.subarray(e.at, e.at + e.len)));
    const apexes = elements(b, fields[12]).map((e) => text.decode(b.subarray(e.at, e.at + e.len)));
    blocks.push({
      node: int32(b, fields[0]),
      apexBloom: b.slice(fields[7], fields[7] + int32(b, fields[7] - 4)),
      apexes: [...new Set(apexes)],
      first,
      n,
      clients,
      rows: ips.map((client, i) => ({ us: first + at[i], client, domain: names[i] })),
    });
  });
  for (const chunk of data) reader.push(chunk);
  assert.ok(reader.done);
  return blocks;
}

function line(t: number, client: string, name: string): string {
  const d = new Date(t);
  const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (v: number, w = 2) => String(v).padStart(w, "0");
  return `${p(d.getUTCDate())}-${mon[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.` +
    `${p(d.getUTCMilliseconds(), 3)} client @0x7f00 ${client}#5353 (${name}): ` +
    `query: ${name} IN A +E(0) (192.0.2.1)`;
}

Deno.test("client buckets: IPv4 and IPv6 addresses spread over every bucket; one address, one bucket", () => {
  const seen = new Array(CLIENT_BUCKETS).fill(0);
  for (let i = 0; i < 1024; i++) seen[bucketOf(`10.10.${i >> 8}.${i & 255}`)]++;
  for (let i = 0; i < 256; i++) seen[bucketOf(`2001:db8::${i.toString(16)}`)]++;
  for (const n of seen) assert.ok(n > 1280 / CLIENT_BUCKETS / 2, `buckets ${seen}`);
  assert.equal(bucketOf("192.168.238.20"), bucketOf("192.168.238.20"));
  for (let i = 0; i < 64; i++) {
    const b = bucketOf(`fe80::${i}`);
    assert.ok(b >= 0 && b < CLIENT_BUCKETS && Number.isInteger(b));
  }
});

Deno.test("block sink: each block holds one bucket's clients, in time order, at most BLOCK_ROWS rows; rounds do not overlap; a new day closes every block", () => {
  const sink = new BlockSink();
  const start = Date.UTC(2026, 11, 6, 23, 50);
  const clients = [
    ...Array.from({ length: 40 }, (_, i) => `192.168.238.${10 + i}`),
    // As inetText writes them (uncompressed).
    ...Array.from({ length: 10 }, (_, i) => `2001:db8:0:0:0:0:0:${(i + 1).toString(16)}`),
  ];
  const total = 3 * BLOCK_ROWS * CLIENT_BUCKETS;
  const sent = new Map<string, number>();
  const sentRows = new Map<string, { t: number; client: string }>();
  for (let i = 0; i < total; i++) {
    // Three rows an instant (a round must not end between them); crosses midnight two
    // thirds of the way through.
    const t = start + Math.floor(i / 3) * 180;
    const client = clients[(i * 7) % clients.length];
    const q = parseBindLine(line(t, client, `h${i}.example.com`));
    assert.equal(q.kind, "query");
    const day = Math.floor(t / DAY);
    assert.ok(
      sink.add(q as QueryLine, {
        at: t,
        domain: `h${i}.example.com`,
        apex: "example.com",
        nodeId: 1,
      }, day),
    );
    sent.set(client, (sent.get(client) ?? 0) + 1);
    sentRows.set(`h${i}.example.com`, { t, client });
  }
  const blocks = decode(sink.blocks());
  let rows = 0;
  const got = new Map<string, number>();
  for (const b of blocks) {
    assert.equal(b.rows.length, b.n);
    assert.ok(b.n <= BLOCK_ROWS, `${b.n} rows`);
    rows += b.n;
    const buckets = new Set(b.rows.map((r) => bucketOf(r.client)));
    assert.equal(buckets.size, 1, `a block of buckets ${[...buckets]}`);
    assert.deepEqual(new Set(b.clients), new Set(b.rows.map((r) => r.client)));
    assert.equal(b.clients.length, new Set(b.clients).size, "a client twice in a block");
    // apex_bloom: one byte a distinct apex, holding each (migration 0038).
    assert.equal(b.apexBloom.length, b.apexes.length);
    for (const a of b.apexes) assert.ok(bloomHas(b.apexBloom, a), a);
    assert.equal(bloomHas(b.apexBloom, "example.net"), false);
    const days = new Set(b.rows.map((r) => Math.floor(r.us / 1000 / DAY)));
    assert.equal(days.size, 1, "a block of two days");
    for (let i = 1; i < b.rows.length; i++) assert.ok(b.rows[i].us >= b.rows[i - 1].us);
    for (const r of b.rows) {
      got.set(r.client, (got.get(r.client) ?? 0) + 1);
      const was = sentRows.get(r.domain);
      assert.deepEqual({ t: r.us / 1000, client: r.client }, was, r.domain);
      sentRows.delete(r.domain);
    }
  }
  assert.equal(rows, total);
  assert.deepEqual(got, sent);
  assert.equal(sentRows.size, 0);
  // Blocks whose spans overlap form groups of at most one round's rows (a stream sorts a
  // group at a time: sql/search/stream_rows.sql).
  const spans = blocks.map((b) => ({ lo: b.rows[0].us, hi: b.rows.at(-1)!.us, n: b.n }))
    .sort((a, b) => a.lo - b.lo);
  let group = 0, hi = -Infinity, groups = 0;
  for (const s of spans) {
    if (s.lo > hi) {
      group = 0;
      groups++;
    }
    group += s.n;
    hi = Math.max(hi, s.hi);
    // A round ends at a new instant: it may take the two more rows of its last one.
    assert.ok(group <= BLOCK_ROWS * CLIENT_BUCKETS + 2, `${group} rows in overlapping blocks`);
  }
  assert.ok(groups >= total / (BLOCK_ROWS * CLIENT_BUCKETS), `${groups} groups`);
  // A client is in one block a round, more only where its bucket outgrew a block.
  const blocksOf = (c: string) => blocks.filter((b) => b.clients.includes(c)).length;
  const perBucket = new Map<number, number>();
  for (const [c, n] of sent) perBucket.set(bucketOf(c), (perBucket.get(bucketOf(c)) ?? 0) + n);
  for (const c of sent.keys()) {
    const bound = groups + Math.ceil(perBucket.get(bucketOf(c))! / BLOCK_ROWS);
    assert.ok(blocksOf(c) <= bound, `${c} in ${blocksOf(c)} blocks, bound ${bound}`);
    assert.ok(blocksOf(c) < blocks.length / 2, `${c} in ${blocksOf(c)} of ${blocks.length}`);
  }
});

Deno.test("setBlockNode: every block row of a batch under the node given, in place, rows unchanged; other data refused", () => {
  const sink = new BlockSink();
  const start = Date.UTC(2026, 11, 7, 10);
  for (let i = 0; i < 30_000; i++) {
    const t = start + i * 7;
    const client = `10.0.${i % 7}.${i % 200}`;
    const q = parseBindLine(line(t, client, `n${i % 900}.example.org`));
    sink.add(q as QueryLine, {
      at: t,
      domain: `n${i % 900}.example.org`,
      apex: "example.org",
      nodeId: 0,
    }, Math.floor(t / DAY));
  }
  // Over a MiB of block rows: several COPY buffers, the trailer in one of its own.
  const data = sink.blocks();
  const before = decode(data);
  assert.ok(
    data.length >= 3 && before.length > 8,
    `${data.length} buffers, ${before.length} blocks`,
  );
  assert.ok(before.every((b) => b.node === 0));
  setBlockNode(data, 42);
  const after = decode(data);
  assert.ok(after.every((b) => b.node === 42));
  assert.deepEqual(after.map((b) => ({ ...b, node: 0 })), before);
  assert.equal(after.reduce((n, b) => n + b.n, 0), 30_000);
  assert.throws(() => setBlockNode([new Uint8Array(64).fill(1)], 1), /not a block row/);
});
