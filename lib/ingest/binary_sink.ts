/**
 * Query rows straight into PostgreSQL's binary COPY format (lib/db/binary_copy.ts): the
 * server then parses no text at all (no timestamps, addresses or numbers). Three kinds of
 * rows, each in the order of its columns (lib/ingest/row_sink.ts): a parsed query line, a line
 * read by the fast path (lib/ingest/fast_query.ts) as ranges of its bytes, and a dnstap row.
 *
 * @module
 */
import { BinaryCopyWriter, PG_EPOCH_MS, writeInet } from "../db/binary_copy.ts";
import type { QueryLine } from "../parse/types.ts";
import { Inet } from "./address.ts";
import {
  COPY_COLUMNS,
  DNSTAP_COLUMNS,
  type DnstapRow,
  type RowExtras,
  type RowSink,
} from "./row_sink.ts";

/**
 * A query row read by the fast path (fast_query.ts): numbers, addresses, and ranges of the
 * source line's bytes, so that no string is made. One object is reused for every row.
 */
export interface FastRow {
  /** queried_at: microseconds since 2000-01-01 UTC. */
  us: number;
  client: Inet;
  port: number;
  /** The lower-cased name in domain[0, domainLen). */
  domain: Uint8Array;
  domainLen: number;
  /** The apex in apex[apexStart, apexEnd). */
  apex: Uint8Array;
  apexStart: number;
  apexEnd: number;
  /** The apex's two Bloom hashes (lib/ingest/name_bloom.ts), unsigned. */
  apexG1: number;
  apexG2: number;
  /** The domain's two Bloom hashes, unsigned. */
  nameG1: number;
  nameG2: number;
  /** dnsa_name_hash of the apex (lib/ingest/block_sink.ts). */
  apexHash: number;
  /** The line's bytes; the ranges below index into it. */
  src: Uint8Array;
  qclass: number;
  qclassEnd: number;
  qtype: number;
  qtypeEnd: number;
  flags: number;
  flagsEnd: number;
  /** -1 when there is no view. */
  view: number;
  viewEnd: number;
  nodeId: number;
  tcp: boolean;
  rd: boolean;
  /** -1 without EDNS. */
  edns: number;
  dnssecOk: boolean;
  cd: boolean;
  ecs: Inet | null;
  server: Inet;
}

/** Rows in PostgreSQL's binary COPY format, in blocks of about 1 MiB. */
export class BinaryCopySink implements RowSink {
  readonly #w: BinaryCopyWriter;
  #client = new Inet();
  #server = new Inet();
  #ecs = new Inet();

  /** `blockBytes`: size of the blocks handed to COPY (default 1 MiB; small in tests). */
  constructor(options: { blockBytes?: number } = {}) {
    this.#w = new BinaryCopyWriter({ blockBytes: options.blockBytes });
  }

  /** Rows added. */
  get rows(): number {
    return this.#w.rows;
  }

  add(q: QueryLine, x: RowExtras): boolean {
    if (!this.#client.parse(q.clientIp, false)) return false;
    const server = q.serverIp !== null && this.#server.parse(q.serverIp, false);
    const ecs = q.ecsSubnet !== null && this.#ecs.parse(q.ecsSubnet, true);
    const w = this.#w;
    w.fields(COPY_COLUMNS.length);
    w.time(x.at * 1000);
    w.inet(this.#client);
    if (q.clientPort === null) w.nul();
    else w.int4(q.clientPort);
    w.text(x.domain);
    w.text(x.apex);
    w.text(q.qtype);
    w.text(q.flags);
    w.int4(x.nodeId);
    w.text(q.qclass);
    w.text(q.view);
    const known = q.flags !== null;
    w.text(known ? (q.tcp ? "tcp" : "udp") : null);
    w.bool(q.recursionDesired);
    if (q.ednsVersion === null) w.nul();
    else w.int2(q.ednsVersion);
    w.bool(known ? q.dnssecOk : null);
    w.bool(known ? q.checkingDisabled : null);
    if (ecs) w.inet(this.#ecs);
    else w.nul();
    if (server) w.inet(this.#server);
    else w.nul();
    return true;
  }

  /**
   * Add a row of the fast path (all values already checked). The whole row goes into the
   * current block (room for it is made once), written through locals: this runs once per
   * line of a backfill.
   */
  addFast(r: FastRow): void {
    const domainLen = r.domainLen, apexLen = r.apexEnd - r.apexStart;
    const qtypeLen = r.qtypeEnd - r.qtype, flagsLen = r.flagsEnd - r.flags;
    const qclassLen = r.qclassEnd - r.qclass, viewLen = r.view < 0 ? 0 : r.viewEnd - r.view;
    const w = this.#w;
    // Fixed parts: 2 + 12 + 24 + 8 + 8 + 7 + 5 + 6 + 5 + 5 + 24 + 24, lengths 6 × 4.
    w.room(160 + domainLen + apexLen + qtypeLen + flagsLen + qclassLen + viewLen);
    const buf = w.buf, v = w.view, src = r.src;
    let p = w.pos;
    v.setInt16(p, COPY_COLUMNS.length);
    // timestamptz: microseconds since 2000-01-01 as int64 (split: the value fits 53 bits).
    const hi = Math.floor(r.us / 4294967296);
    v.setInt32(p + 2, 8);
    v.setInt32(p + 6, hi);
    v.setUint32(p + 10, r.us - hi * 4294967296);
    p = writeInet(buf, v, p + 14, r.client);
    v.setInt32(p, 4);
    v.setInt32(p + 4, r.port);
    p += 8;
    v.setInt32(p, domainLen);
    p += 4;
    const domain = r.domain;
    for (let i = 0; i < domainLen; i++) buf[p++] = domain[i];
    v.setInt32(p, apexLen);
    p += 4;
    const apex = r.apex;
    for (let i = r.apexStart, end = r.apexEnd; i < end; i++) buf[p++] = apex[i];
    v.setInt32(p, qtypeLen);
    p += 4;
    for (let i = r.qtype, end = r.qtypeEnd; i < end; i++) buf[p++] = src[i];
    v.setInt32(p, flagsLen);
    p += 4;
    for (let i = r.flags, end = r.flagsEnd; i < end; i++) buf[p++] = src[i];
    v.setInt32(p, 4);
    v.setInt32(p + 4, r.nodeId);
    v.setInt32(p + 8, qclassLen);
    p += 12;
    for (let i = r.qclass, end = r.qclassEnd; i < end; i++) buf[p++] = src[i];
    if (r.view < 0) v.setInt32(p, -1);
    else {
      v.setInt32(p, viewLen);
      for (let i = r.view, end = r.viewEnd, q = p + 4; i < end; i++) buf[q++] = src[i];
      p += viewLen;
    }
    v.setInt32(p + 4, 3);
    buf[p + 8] = r.tcp ? 116 : 117; // "tcp" / "udp"
    buf[p + 9] = r.tcp ? 99 : 100;
    buf[p + 10] = 112;
    v.setInt32(p + 11, 1);
    buf[p + 15] = r.rd ? 1 : 0;
    p += 16;
    if (r.edns < 0) {
      v.setInt32(p, -1);
      p += 4;
    } else {
      v.setInt32(p, 2);
      v.setInt16(p + 4, r.edns);
      p += 6;
    }
    v.setInt32(p, 1);
    buf[p + 4] = r.dnssecOk ? 1 : 0;
    v.setInt32(p + 5, 1);
    buf[p + 9] = r.cd ? 1 : 0;
    p += 10;
    if (r.ecs) p = writeInet(buf, v, p, r.ecs);
    else {
      v.setInt32(p, -1);
      p += 4;
    }
    w.pos = writeInet(buf, v, p, r.server);
    w.rows++;
  }

  /** Add a dnstap row (a batch holds either dnstap rows or query-log rows). */
  addDnstap(r: DnstapRow): void {
    if (!this.#client.parse(r.client, false)) throw new Error(`not an address: ${r.client}`);
    const w = this.#w;
    w.fields(DNSTAP_COLUMNS.length);
    w.int8(r.atUs - PG_EPOCH_MS * 1000);
    w.inet(this.#client);
    if (r.port === null) w.nul();
    else w.int4(r.port);
    w.text(r.domain);
    w.text(r.apex);
    w.text(r.qtype);
    w.text(r.flags);
    w.int4(r.nodeId);
    w.text(r.qclass);
    w.nul(); // view: dnstap does not say
    w.text(r.transport);
    w.bool(r.rd);
    if (r.edns === null) w.nul();
    else w.int2(r.edns);
    w.bool(r.dnssecOk);
    w.bool(r.cd);
    if (r.ecs !== null && this.#ecs.parse(r.ecs, true)) w.inet(this.#ecs);
    else w.nul();
    if (r.server !== null && this.#server.parse(r.server, false)) w.inet(this.#server);
    else w.nul();
    w.text(r.rcode);
    w.text(r.rcode === null ? null : "dnstap");
    if (r.latencyUs === null) w.nul();
    else w.int4(r.latencyUs);
    if (r.size === null) w.nul();
    else w.int4(r.size);
    w.text(r.responseFlags);
    if (r.answerCount === null) w.nul();
    else w.int2(r.answerCount);
  }

  /** The COPY data: header, rows, trailer. */
  blocks(): Uint8Array[] {
    return this.#w.blocks();
  }

  /**
   * Hand the blocks back for later sinks to fill, once the COPY that sent them has completed
   * (see {@linkcode BinaryCopyWriter.release}).
   */
  release(): void {
    this.#w.release();
  }
}
