/**
 * Where a batch's query rows go as they are parsed: straight into PostgreSQL's binary COPY
 * format (the server then parses no text at all: no timestamps, addresses or numbers), or,
 * for the embedded database whose socket cannot carry COPY, into one text array per column
 * for an `unnest` insert. Both write the columns of {@linkcode COPY_COLUMNS}, in order.
 *
 * @module
 */
import type { QueryLine } from "../parse/types.ts";
import { ipv4Bytes, ipv6Bytes } from "./address.ts";

/** Columns of dns_queries written for each query row, in order. */
export const COPY_COLUMNS = [
  "queried_at",
  "client_ip",
  "client_port",
  "domain",
  "apex_domain",
  "qtype",
  "flags",
  "node_id",
  "qclass",
  "view",
  "transport",
  "recursion_desired",
  "edns_version",
  "dnssec_ok",
  "checking_disabled",
  "client_subnet",
  "server_ip",
] as const;

/** Columns of a dnstap row: the query-log columns and what only dnstap says. */
export const DNSTAP_COLUMNS = [
  ...COPY_COLUMNS,
  "response_rcode",
  "rcode_source",
  "latency_us",
  "response_size",
  "response_flags",
  "answer_count",
] as const;

/** One dnstap row (see lib/dnstap/rows.ts), in the order of {@linkcode DNSTAP_COLUMNS}. */
export interface DnstapRow {
  /** queried_at, microseconds since the epoch. */
  atUs: number;
  client: string;
  port: number | null;
  domain: string | null;
  apex: string | null;
  qtype: string | null;
  flags: string | null;
  nodeId: number;
  qclass: string | null;
  transport: string | null;
  rd: boolean | null;
  edns: number | null;
  dnssecOk: boolean | null;
  cd: boolean | null;
  ecs: string | null;
  server: string | null;
  rcode: string | null;
  latencyUs: number | null;
  size: number | null;
  /** The response's header flags as dig prints them (`qr aa rd ra`), null without one. */
  responseFlags: string | null;
  answerCount: number | null;
}

/** A dnstap row as text values (NULL as null), in the order of DNSTAP_COLUMNS. */
export function dnstapRowValues(r: DnstapRow): (string | null)[] {
  const b = (v: boolean | null) => v === null ? null : v ? "t" : "f";
  const n = (v: number | null) => v === null ? null : String(v);
  return [
    new Date(Math.floor(r.atUs / 1000)).toISOString().slice(0, 23) +
    String(r.atUs % 1000).padStart(3, "0") + "Z",
    r.client,
    n(r.port),
    r.domain,
    r.apex,
    r.qtype,
    r.flags,
    String(r.nodeId),
    r.qclass,
    null,
    r.transport,
    b(r.rd),
    n(r.edns),
    b(r.dnssecOk),
    b(r.cd),
    r.ecs,
    r.server,
    r.rcode,
    r.rcode === null ? null : "dnstap",
    n(r.latencyUs),
    n(r.size),
    r.responseFlags,
    n(r.answerCount),
  ];
}

/** The values of one row that do not come from the parsed line itself. */
export interface RowExtras {
  at: number;
  domain: string;
  apex: string;
  nodeId: number;
}

/** Accepts query rows; `add` returns false (and adds nothing) for an unusable address. */
export interface RowSink {
  add(q: QueryLine, extras: RowExtras): boolean;
}

const BLOCK = 1 << 20;
const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const ENCODER = new TextEncoder();

/** An address parsed for binary `inet`: family 2 (IPv4) or 3 (IPv6), bytes, prefix bits. */
export class Inet {
  bytes = new Uint8Array(16);
  family = 0;
  bits = 0;
  /** Parse `addr` or `addr/bits`; false when it is not an address. */
  parse(s: string, withPrefix: boolean): boolean {
    let addr = s, bits = -1;
    if (withPrefix) {
      const slash = s.lastIndexOf("/");
      if (slash > 0) {
        addr = s.slice(0, slash);
        bits = Number(s.slice(slash + 1));
        if (!Number.isInteger(bits) || bits < 0) return false;
      }
    }
    if (ipv4Bytes(addr, this.bytes, 0)) {
      this.family = 2;
      this.bits = bits < 0 ? 32 : bits;
      return this.bits <= 32;
    }
    if (ipv6Bytes(addr, this.bytes, 0)) {
      this.family = 3;
      this.bits = bits < 0 ? 128 : bits;
      return this.bits <= 128;
    }
    return false;
  }
}

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

/**
 * Blocks of committed batches, refilled by the next ones. A fresh 1 MiB array is zeroed,
 * costs the kernel a page fault per 4 KiB and the collector a turn: on a large backfill
 * that was hundreds of MB per minute of churn. At most 64 (64 MiB) wait here.
 */
const spareBlocks: Uint8Array[] = [];
const MAX_SPARE_BLOCKS = 64;

function newBlock(bytes: number): Uint8Array {
  return bytes === BLOCK ? spareBlocks.pop() ?? new Uint8Array(BLOCK) : new Uint8Array(bytes);
}

/** Write `a` as a binary `inet` value (length word included) at buf[p]; returns the end. */
function writeInet(buf: Uint8Array, v: DataView, p: number, a: Inet): number {
  const nb = a.family === 2 ? 4 : 16;
  v.setInt32(p, 4 + nb);
  buf[p + 4] = a.family;
  buf[p + 5] = a.bits;
  buf[p + 6] = 0; // inet, not cidr
  buf[p + 7] = nb;
  const bytes = a.bytes;
  for (let i = 0; i < nb; i++) buf[p + 8 + i] = bytes[i];
  return p + 8 + nb;
}

/** Rows in PostgreSQL's binary COPY format, in blocks of about 1 MiB. */
export class BinaryCopySink implements RowSink {
  #blocks: Uint8Array[] = [];
  #blockBytes: number;
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  #rows = 0;
  #client = new Inet();
  #server = new Inet();
  #ecs = new Inet();

  /** `blockBytes`: size of the blocks handed to COPY (default 1 MiB; small in tests). */
  constructor(options: { blockBytes?: number } = {}) {
    this.#blockBytes = options.blockBytes ?? BLOCK;
    this.#buf = newBlock(this.#blockBytes);
    this.#view = new DataView(this.#buf.buffer);
    this.#buf.set(SIGNATURE, 0);
    this.#view.setInt32(11, 0); // flags
    this.#view.setInt32(15, 0); // header extension length
    this.#pos = 19;
  }

  /** Rows added. */
  get rows(): number {
    return this.#rows;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#blocks.push(this.#buf.subarray(0, this.#pos));
    this.#buf = newBlock(Math.max(this.#blockBytes, n));
    this.#view = new DataView(this.#buf.buffer);
    this.#pos = 0;
  }

  #nul(): void {
    this.#view.setInt32(this.#pos, -1);
    this.#pos += 4;
  }

  #text(s: string): void {
    const n = s.length;
    this.#room(n * 3 + 4);
    const buf = this.#buf;
    const start = this.#pos + 4;
    let pos = start;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 128) buf[pos++] = c;
      else {
        pos += ENCODER.encodeInto(s.slice(i), buf.subarray(pos)).written;
        break;
      }
    }
    this.#view.setInt32(this.#pos, pos - start);
    this.#pos = pos;
  }

  #textOrNull(s: string | null): void {
    if (s === null) this.#nul();
    else this.#text(s);
  }

  #int4(v: number): void {
    this.#view.setInt32(this.#pos, 4);
    this.#view.setInt32(this.#pos + 4, v);
    this.#pos += 8;
  }

  #bool(b: boolean | null): void {
    if (b === null) return this.#nul();
    this.#view.setInt32(this.#pos, 1);
    this.#buf[this.#pos + 4] = b ? 1 : 0;
    this.#pos += 5;
  }

  #inet(a: Inet): void {
    this.#pos = writeInet(this.#buf, this.#view, this.#pos, a);
  }

  add(q: QueryLine, x: RowExtras): boolean {
    if (!this.#client.parse(q.clientIp, false)) return false;
    const server = q.serverIp !== null && this.#server.parse(q.serverIp, false);
    const ecs = q.ecsSubnet !== null && this.#ecs.parse(q.ecsSubnet, true);
    this.#room(256);
    // Every write goes through this.#view: #room() may move to a new block mid-row.
    let v = this.#view;
    v.setInt16(this.#pos, COPY_COLUMNS.length);
    this.#pos += 2;
    // timestamptz: microseconds since 2000-01-01 as int64 (split: the value fits 53 bits).
    const us = (x.at - PG_EPOCH_MS) * 1000;
    const hi = Math.floor(us / 4294967296);
    v.setInt32(this.#pos, 8);
    v.setInt32(this.#pos + 4, hi);
    v.setUint32(this.#pos + 8, us - hi * 4294967296);
    this.#pos += 12;
    this.#inet(this.#client);
    if (q.clientPort === null) this.#nul();
    else this.#int4(q.clientPort);
    this.#text(x.domain);
    this.#text(x.apex);
    this.#textOrNull(q.qtype);
    this.#textOrNull(q.flags);
    this.#room(64);
    this.#int4(x.nodeId);
    this.#textOrNull(q.qclass);
    this.#textOrNull(q.view);
    this.#room(128);
    const known = q.flags !== null;
    if (!known) this.#nul();
    else this.#text(q.tcp ? "tcp" : "udp");
    this.#room(128);
    this.#bool(q.recursionDesired);
    if (q.ednsVersion === null) this.#nul();
    else {
      v = this.#view;
      v.setInt32(this.#pos, 2);
      v.setInt16(this.#pos + 4, q.ednsVersion);
      this.#pos += 6;
    }
    this.#bool(known ? q.dnssecOk : null);
    this.#bool(known ? q.checkingDisabled : null);
    if (ecs) this.#inet(this.#ecs);
    else this.#nul();
    if (server) this.#inet(this.#server);
    else this.#nul();
    this.#rows++;
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
    // Fixed parts: 2 + 12 + 24 + 8 + 8 + 7 + 5 + 6 + 5 + 5 + 24 + 24, lengths 6 × 4.
    this.#room(160 + domainLen + apexLen + qtypeLen + flagsLen + qclassLen + viewLen);
    const buf = this.#buf, v = this.#view, src = r.src;
    let p = this.#pos;
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
    this.#pos = writeInet(buf, v, p, r.server);
    this.#rows++;
  }

  /** Add a dnstap row (a batch holds either dnstap rows or query-log rows). */
  addDnstap(r: DnstapRow): void {
    this.#room(512);
    this.#view.setInt16(this.#pos, DNSTAP_COLUMNS.length);
    this.#pos += 2;
    const us = r.atUs - PG_EPOCH_MS * 1000;
    const hi = Math.floor(us / 4294967296);
    this.#view.setInt32(this.#pos, 8);
    this.#view.setInt32(this.#pos + 4, hi);
    this.#view.setUint32(this.#pos + 8, us - hi * 4294967296);
    this.#pos += 12;
    if (!this.#client.parse(r.client, false)) throw new Error(`not an address: ${r.client}`);
    this.#inet(this.#client);
    const int4 = (v: number | null) => v === null ? this.#nul() : this.#int4(v);
    int4(r.port);
    this.#textOrNull(r.domain);
    this.#textOrNull(r.apex);
    this.#textOrNull(r.qtype);
    this.#textOrNull(r.flags);
    this.#room(64);
    this.#int4(r.nodeId);
    this.#textOrNull(r.qclass);
    this.#nul(); // view: dnstap does not say
    this.#textOrNull(r.transport);
    this.#room(64);
    this.#bool(r.rd);
    if (r.edns === null) this.#nul();
    else {
      this.#view.setInt32(this.#pos, 2);
      this.#view.setInt16(this.#pos + 4, r.edns);
      this.#pos += 6;
    }
    this.#bool(r.dnssecOk);
    this.#bool(r.cd);
    if (r.ecs !== null && this.#ecs.parse(r.ecs, true)) this.#inet(this.#ecs);
    else this.#nul();
    if (r.server !== null && this.#server.parse(r.server, false)) this.#inet(this.#server);
    else this.#nul();
    this.#textOrNull(r.rcode);
    this.#textOrNull(r.rcode === null ? null : "dnstap");
    this.#room(32);
    int4(r.latencyUs);
    int4(r.size);
    this.#textOrNull(r.responseFlags);
    this.#room(16);
    if (r.answerCount === null) this.#nul();
    else {
      this.#view.setInt32(this.#pos, 2);
      this.#view.setInt16(this.#pos + 4, r.answerCount);
      this.#pos += 6;
    }
    this.#rows++;
  }

  /** The COPY data: header, rows, trailer. */
  blocks(): Uint8Array[] {
    if (this.#released) throw new Error("BinaryCopySink: blocks() after release()");
    const trailer = new Uint8Array([0xff, 0xff]);
    return [...this.#blocks, this.#buf.subarray(0, this.#pos), trailer];
  }

  #released = false;

  /**
   * Hand the blocks back for later sinks to fill. Only once nothing reads them any more:
   * after the COPY that sent them has completed (the driver copies each block as it is
   * written to the stream).
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const b of [...this.#blocks, this.#buf]) {
      if (b.buffer.byteLength !== BLOCK || spareBlocks.length >= MAX_SPARE_BLOCKS) continue;
      spareBlocks.push(new Uint8Array(b.buffer));
    }
    this.#blocks = [];
  }
}

/** Rows as one text array per column, for an `unnest` insert. */
export class ColumnSink implements RowSink {
  readonly columns: (string | null)[][];
  #client = new Inet();

  /** `width`: the number of columns (COPY_COLUMNS, or DNSTAP_COLUMNS for dnstap rows). */
  constructor(width: number = COPY_COLUMNS.length) {
    this.columns = Array.from({ length: width }, () => []);
  }

  /** Add a dnstap row (a sink made with DNSTAP_COLUMNS.length columns). */
  addDnstap(r: DnstapRow): void {
    const values = dnstapRowValues(r);
    for (let i = 0; i < values.length; i++) this.columns[i].push(values[i]);
  }

  add(q: QueryLine, x: RowExtras): boolean {
    if (!this.#client.parse(q.clientIp, false)) return false;
    const scratch = new Inet();
    const server = q.serverIp !== null && scratch.parse(q.serverIp, false) ? q.serverIp : null;
    const ecs = q.ecsSubnet !== null && scratch.parse(q.ecsSubnet, true) ? q.ecsSubnet : null;
    const known = q.flags !== null;
    const b = (v: boolean | null) => v === null ? null : v ? "t" : "f";
    const values = [
      new Date(x.at).toISOString(),
      q.clientIp,
      q.clientPort === null ? null : String(q.clientPort),
      x.domain,
      x.apex,
      q.qtype,
      q.flags,
      String(x.nodeId),
      q.qclass,
      q.view,
      known ? (q.tcp ? "tcp" : "udp") : null,
      b(q.recursionDesired),
      q.ednsVersion === null ? null : String(q.ednsVersion),
      b(known ? q.dnssecOk : null),
      b(known ? q.checkingDisabled : null),
      ecs,
      server,
    ];
    for (let i = 0; i < values.length; i++) this.columns[i].push(values[i]);
    return true;
  }

  /** Rows added. */
  get rows(): number {
    return this.columns[0].length;
  }
}
