/**
 * A batch as a bus message: the batch's query rows as the binary COPY data the edge's batch
 * built (the fast path's rows, lib/ingest/binary_sink.ts, with node id 0), and a small JSON
 * header with the rest — the stretch of the file it covers, counters, query-errors lines,
 * reject samples, dnstap pairing state. The consumer puts its own id of the node into the
 * rows' `node_id` fields and commits the batch through the same commit as `ingest`
 * (lib/ingest/commit.ts): nothing is parsed or re-encoded centrally.
 *
 * The rows are in the encoding of the program that published them, so a message names it:
 * its columns and a digest of probe rows encoded by this program's row sinks
 * ({@linkcode rowEncoding}). A consumer refuses a message of another encoding (an edge and a
 * consumer of different versions) instead of storing wrong rows.
 *
 * Layout: `DNSA` 0x02, the header's length (uint32, big-endian), the header (UTF-8 JSON),
 * the COPY data (header, rows, trailer).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { BatchData, BatchSource, ErrorRow } from "../ingest/batch.ts";
import { Batch } from "../ingest/batch.ts";
import type { Counts } from "../ingest/counts.ts";
import { FastQueryPath } from "../ingest/fast_query.ts";
import { COPY_COLUMNS, DNSTAP_COLUMNS } from "../ingest/row_sink.ts";
import { parseBindLine } from "../parse/bind_line.ts";
import type { QueryLine } from "../parse/types.ts";
import { createZoneClock, type ZoneClock } from "../time.ts";

const MAGIC = [0x44, 0x4e, 0x53, 0x41, 2]; // "DNSA", version 2
const PREFIX = MAGIC.length + 4;

/** The header of a batch message. */
export interface BatchHeader {
  node: string;
  source: BatchSource;
  endOffset: number;
  counts: Counts;
  lastLineAt: number | null;
  /** Epoch ms of the first and last query row; null without rows. */
  minAt: number | null;
  maxAt: number | null;
  /** The dns_queries columns of the rows, in order. */
  rowColumns: string[];
  /** {@linkcode rowEncoding} of the publisher. */
  encoding: string;
  errors: ErrorRow[];
  rejects: { reason: string; byteOffset: number; length: number; sample: string }[];
  dnstap?: {
    waiting: { key: string; atUs: number; values: (string | null)[] }[];
    answered: string[];
    expireBefore: number;
  };
}

/** A decoded batch message. */
export interface BusBatch extends BatchHeader {
  /** The rows as binary COPY data, node id 0. */
  copy: Uint8Array;
}

/** A message this program cannot store (another version published it, or it is not one). */
export class BatchCodecError extends Error {
  override name = "BatchCodecError";
}

/** Encode a batch of binary COPY rows (a batch made with `format: "binary"`) from `node`. */
export function encodeBatch(batch: BatchData, node: string): Uint8Array {
  const rows = batch.rows;
  if (!("blocks" in rows)) throw new Error("encodeBatch: the batch must hold binary COPY rows");
  const header: BatchHeader = {
    node,
    source: batch.source,
    endOffset: batch.endOffset,
    counts: batch.counts,
    lastLineAt: batch.lastLineAt,
    minAt: Number.isFinite(batch.minAt) ? batch.minAt : null,
    maxAt: Number.isFinite(batch.maxAt) ? batch.maxAt : null,
    rowColumns: [...batch.rowColumns],
    encoding: rowEncoding(),
    errors: batch.errors,
    rejects: batch.rejects.map((r) => ({
      reason: r.reason,
      byteOffset: r.byteOffset,
      length: r.length,
      sample: Buffer.from(r.sample).toString("base64"),
    })),
    dnstap: batch.dnstap && {
      waiting: batch.dnstap.waiting,
      answered: batch.dnstap.answered,
      expireBefore: batch.dnstap.expireBefore.getTime(),
    },
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let size = PREFIX + json.length;
  for (const b of rows.blocks) size += b.length;
  const out = new Uint8Array(size);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length);
  out.set(json, PREFIX);
  let at = PREFIX + json.length;
  for (const b of rows.blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Decode a message; throws BatchCodecError on anything that is not a batch of this version. */
export function decodeBatch(data: Uint8Array): BusBatch {
  if (data.length < PREFIX || MAGIC.some((m, i) => data[i] !== m)) {
    throw new BatchCodecError("not a dns-analytics batch message (version 2)");
  }
  const length = new DataView(data.buffer, data.byteOffset).getUint32(MAGIC.length);
  const header = JSON.parse(
    new TextDecoder().decode(data.subarray(PREFIX, PREFIX + length)),
  ) as BatchHeader;
  return { ...header, copy: data.subarray(PREFIX + length) };
}

/**
 * The batch the central database commits: `msg`'s rows under `nodeId` (this database's id of
 * the publishing node), the days of its rows and lines in `clock`'s zone (the partitions').
 * Throws BatchCodecError when the rows are in another encoding than this program's.
 */
export function toCommitBatch(
  msg: BusBatch,
  options: { nodeId: number; clock: ZoneClock },
): BatchData {
  const dnstap = msg.dnstap !== undefined;
  const columns = dnstap ? DNSTAP_COLUMNS : COPY_COLUMNS;
  if (msg.encoding !== rowEncoding() || msg.rowColumns.join() !== columns.join()) {
    throw new BatchCodecError(
      `the batch of ${msg.node} is in another row encoding than this program's: the edge ` +
        "and the consumers must run the same version of dns-analytics",
    );
  }
  const nodeCol = columns.indexOf("node_id" as never);
  if (msg.counts.rows > 0) setInt4Field(msg.copy, nodeCol, options.nodeId);
  const day = (ms: number) => Math.floor(options.clock.toWall(ms) / 86_400_000);
  const days = new Set<number>();
  if (msg.minAt !== null && msg.maxAt !== null) {
    for (let d = day(msg.minAt), last = day(msg.maxAt); d <= last; d++) days.add(d);
  }
  for (const e of msg.errors) days.add(day(e.loggedAt));
  const node = String(options.nodeId);
  return {
    source: msg.source,
    endOffset: msg.endOffset,
    counts: msg.counts,
    errors: msg.errors,
    rejects: msg.rejects.map((r) => ({
      ...r,
      sample: new Uint8Array(Buffer.from(r.sample, "base64")),
    })),
    days,
    minAt: msg.minAt ?? Infinity,
    maxAt: msg.maxAt ?? -Infinity,
    lastLineAt: msg.lastLineAt,
    rows: { blocks: [msg.copy] },
    rowColumns: columns,
    dnstap: msg.dnstap && {
      waiting: msg.dnstap.waiting.map((w) => {
        const values = [...w.values];
        values[nodeCol] = node;
        return { key: w.key, atUs: w.atUs, values };
      }),
      answered: msg.dnstap.answered,
      expireBefore: new Date(msg.dnstap.expireBefore),
    },
  };
}

/**
 * Set field `col` (an int4) of every row of binary COPY `data` to `value`, in place. The
 * rows are walked by their field lengths; a row without a 4-byte field there is an error.
 */
export function setInt4Field(data: Uint8Array, col: number, value: number): void {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // Signature (11 bytes), flags (4), header extension length (4) and the extension.
  let p = 19 + v.getUint32(15);
  for (;;) {
    if (p + 2 > data.length) throw new BatchCodecError("COPY data ends inside a row");
    const fields = v.getInt16(p);
    p += 2;
    if (fields === -1) return;
    for (let f = 0; f < fields; f++) {
      const len = v.getInt32(p);
      if (f === col) {
        if (len !== 4) throw new BatchCodecError("the node_id field is not an int4");
        v.setInt32(p + 4, value);
      }
      p += 4 + (len > 0 ? len : 0);
    }
  }
}

let encoding: string | null = null;

/**
 * A digest of this program's row encoding: probe rows written by each row sink path (a
 * parsed query line, the fast path, a dnstap row) and the column lists. Two programs with
 * the same digest write the same COPY data for the same rows.
 */
export function rowEncoding(): string {
  if (encoding !== null) return encoding;
  const source = { path: "probe", fingerprint: "probe", startOffset: 0 };
  const line = "06-Nov-2026 10:15:02.123 client @0x7f1c2c0a1b20 192.0.2.20#53422 " +
    "(www.Example.com): view inside: query: www.Example.com IN AAAA +E(0)DC (192.0.2.2) " +
    "[ECS 198.51.100.0/24/0]";
  const parsed = new Batch(source);
  const q = parseBindLine(line) as QueryLine;
  parsed.addQuery(q, 0, { at: q.time, domain: "www.example.com", apex: "example.com", nodeId: 7 });
  const fast = new Batch(source);
  const bytes = new TextEncoder().encode(line + "\n");
  new FastQueryPath({ clock: createZoneClock("UTC"), nodeId: 7 })
    .tryLine(bytes, 0, bytes.length, fast);
  const dnstap = new Batch(source, { dnstap: true });
  dnstap.addDnstapRow({
    atUs: 1_794_000_000_123_456,
    client: "2001:db8::5",
    port: 5353,
    domain: "example.com",
    apex: "example.com",
    qtype: "A",
    flags: "+E(0)",
    nodeId: 7,
    qclass: "IN",
    transport: "tcp",
    rd: true,
    edns: 0,
    dnssecOk: false,
    cd: null,
    ecs: "10.0.0.0/24",
    server: "192.0.2.1",
    rcode: "NXDOMAIN",
    latencyUs: 1234,
    size: 99,
    responseFlags: "qr rd ra",
    answerCount: 0,
  }, 0);
  const hash = createHash("sha256");
  hash.update(COPY_COLUMNS.join() + "\n" + DNSTAP_COLUMNS.join() + "\n");
  for (const b of [parsed, fast, dnstap]) {
    const rows = b.rows as { blocks: Uint8Array[] };
    hash.update(String(b.counts.rows));
    for (const block of rows.blocks) hash.update(block);
    b.release();
  }
  encoding = hash.digest("hex").slice(0, 16);
  return encoding;
}
