/**
 * A batch as a bus message: what its rows are (the batch's columns, as text, by column name),
 * its query-errors lines, reject samples, counters, dnstap pairing state and the stretch of
 * the file it covers. Nothing of the database's encoding travels: the edge fills a batch of
 * text columns (the embedded database's form, lib/ingest/row_sink.ts), and the consumer adds
 * its rows to a fresh batch of the central database's own form, so both ends keep the same
 * parse → batch → commit path as `ingest`. JSON, compressed with raw deflate.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { Batch, type BatchData, type BatchSource, type ErrorRow } from "../ingest/batch.ts";
import type { Counts } from "../ingest/counts.ts";
import type { DnstapRow } from "../ingest/row_sink.ts";
import type { QueryLine } from "../parse/types.ts";
import type { ZoneClock } from "../time.ts";

/** The `Content-Type` of a batch message. */
export const BATCH_CODEC = "application/x-dnsa-batch+json+deflate; v=1";

/** A decoded batch message. */
export interface BusBatch {
  v: 1;
  node: string;
  source: BatchSource;
  endOffset: number;
  counts: Counts;
  lastLineAt: number | null;
  /** Names of the row columns, in the order of `columns`. */
  columnNames: string[];
  /** One text array per column (NULL as null). */
  columns: (string | null)[][];
  errors: ErrorRow[];
  rejects: { reason: string; byteOffset: number; length: number; sample: string }[];
  dnstap?: {
    waiting: { key: string; atUs: number; values: (string | null)[] }[];
    answered: string[];
    expireBefore: number;
  };
}

/** Encode a batch of text columns (made with `format: "columns"`) published by `node`. */
export function encodeBatch(batch: BatchData, node: string): Uint8Array {
  const rows = batch.rows;
  if (!("columns" in rows)) throw new Error("encodeBatch: the batch must hold text columns");
  const msg: BusBatch = {
    v: 1,
    node,
    source: batch.source,
    endOffset: batch.endOffset,
    counts: batch.counts,
    lastLineAt: batch.lastLineAt,
    columnNames: [...batch.rowColumns],
    columns: rows.columns,
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
  return deflateRawSync(new TextEncoder().encode(JSON.stringify(msg)), { level: 1 });
}

/** Decode a message; throws on anything that is not a batch of this version. */
export function decodeBatch(data: Uint8Array): BusBatch {
  const msg = JSON.parse(new TextDecoder().decode(inflateRawSync(data))) as BusBatch;
  if (msg?.v !== 1 || !Array.isArray(msg.columns) || !msg.source) {
    throw new Error("not a dns-analytics batch message (version 1)");
  }
  return msg;
}

/**
 * The batch the central database commits: `msg`'s rows under `nodeId` (this database's id of
 * the publishing node), their days in `clock`'s zone, in `format` (binary COPY data on
 * PostgreSQL, text columns on the embedded database).
 */
export function toCommitBatch(
  msg: BusBatch,
  options: { nodeId: number; clock: ZoneClock; format: "binary" | "columns" },
): Batch {
  const dnstap = msg.dnstap !== undefined;
  const batch = new Batch(msg.source, { format: options.format, dnstap });
  batch.endOffset = msg.endOffset;
  const col = columnReader(msg);
  const n = msg.columns[0]?.length ?? 0;
  const day = (ms: number) => Math.floor(options.clock.toWall(ms) / 86_400_000);
  const nodeId = options.nodeId;
  if (dnstap) {
    for (let i = 0; i < n; i++) {
      const row = dnstapRow(col, i, nodeId);
      batch.addDnstapRow(row, day(Math.floor(row.atUs / 1000)));
    }
  } else {
    const q = blankQuery();
    for (let i = 0; i < n; i++) {
      const at = Date.parse(col("queried_at", i)!);
      fillQuery(q, col, i);
      if (
        !batch.addQuery(q, day(at), {
          at,
          domain: col("domain", i)!,
          apex: col("apex_domain", i)!,
          nodeId,
        })
      ) {
        throw new Error(`row ${i} of ${msg.source.path}: unusable address ${q.clientIp}`);
      }
    }
  }
  Object.assign(batch.counts, msg.counts);
  for (const e of msg.errors) {
    batch.errors.push(e);
    batch.days.add(day(e.loggedAt));
  }
  for (const r of msg.rejects) {
    batch.rejects.push({ ...r, sample: new Uint8Array(Buffer.from(r.sample, "base64")) });
  }
  batch.lastLineAt = msg.lastLineAt;
  if (msg.dnstap) {
    const node = String(nodeId);
    const nodeCol = msg.columnNames.indexOf("node_id");
    batch.dnstap = {
      waiting: msg.dnstap.waiting.map((w) => {
        const values = [...w.values];
        if (nodeCol >= 0) values[nodeCol] = node;
        return { key: w.key, atUs: w.atUs, values };
      }),
      answered: msg.dnstap.answered,
      expireBefore: new Date(msg.dnstap.expireBefore),
    };
  }
  return batch;
}

type ColumnReader = (name: string, row: number) => string | null;

function columnReader(msg: BusBatch): ColumnReader {
  const index = new Map(msg.columnNames.map((c, i) => [c, msg.columns[i]]));
  const empty: null[] = [];
  return (name, row) => (index.get(name) ?? empty)[row] ?? null;
}

const bool = (v: string | null) => v === null ? null : v === "t";
const num = (v: string | null) => v === null ? null : Number(v);

function dnstapRow(col: ColumnReader, i: number, nodeId: number): DnstapRow {
  // queried_at with microseconds: `YYYY-MM-DDTHH:MM:SS.mmmuuuZ` (row_sink.ts).
  const t = col("queried_at", i)!;
  const atUs = Date.parse(t.slice(0, 23) + "Z") * 1000 + Number(t.slice(23, 26) || "0");
  return {
    atUs,
    client: col("client_ip", i)!,
    port: num(col("client_port", i)),
    domain: col("domain", i),
    apex: col("apex_domain", i),
    qtype: col("qtype", i),
    flags: col("flags", i),
    nodeId,
    qclass: col("qclass", i),
    transport: col("transport", i),
    rd: bool(col("recursion_desired", i)),
    edns: num(col("edns_version", i)),
    dnssecOk: bool(col("dnssec_ok", i)),
    cd: bool(col("checking_disabled", i)),
    ecs: col("client_subnet", i),
    server: col("server_ip", i),
    rcode: col("response_rcode", i),
    latencyUs: num(col("latency_us", i)),
    size: num(col("response_size", i)),
    responseFlags: col("response_flags", i),
    answerCount: num(col("answer_count", i)),
  };
}

function blankQuery(): QueryLine {
  return {
    kind: "query",
    time: 0,
    zoned: true,
    yearless: false,
    clientIp: "",
    clientPort: null,
    view: null,
    qname: "",
    qclass: null,
    qtype: null,
    flags: null,
    recursionDesired: null,
    ednsVersion: null,
    signed: false,
    tcp: false,
    dnssecOk: false,
    checkingDisabled: false,
    cookie: null,
    serverIp: null,
    ecsSubnet: null,
    ecsScope: null,
  };
}

/** The parsed-line fields a row sink reads, back from the row's columns. */
function fillQuery(q: QueryLine, col: ColumnReader, i: number): void {
  q.clientIp = col("client_ip", i)!;
  q.clientPort = num(col("client_port", i));
  q.view = col("view", i);
  q.qclass = col("qclass", i);
  q.qtype = col("qtype", i);
  q.flags = col("flags", i);
  q.recursionDesired = bool(col("recursion_desired", i));
  q.ednsVersion = num(col("edns_version", i));
  q.tcp = col("transport", i) === "tcp";
  q.dnssecOk = col("dnssec_ok", i) === "t";
  q.checkingDisabled = col("checking_disabled", i) === "t";
  q.serverIp = col("server_ip", i);
  q.ecsSubnet = col("client_subnet", i);
}
