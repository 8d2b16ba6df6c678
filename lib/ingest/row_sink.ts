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
class Inet {
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
    this.#buf = new Uint8Array(this.#blockBytes);
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
    this.#buf = new Uint8Array(Math.max(this.#blockBytes, n));
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
    const nb = a.family === 2 ? 4 : 16;
    const v = this.#view, p = this.#pos;
    v.setInt32(p, 4 + nb);
    this.#buf[p + 4] = a.family;
    this.#buf[p + 5] = a.bits;
    this.#buf[p + 6] = 0; // inet, not cidr
    this.#buf[p + 7] = nb;
    this.#buf.set(a.bytes.subarray(0, nb), p + 8);
    this.#pos = p + 8 + nb;
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

  /** The COPY data: header, rows, trailer. */
  blocks(): Uint8Array[] {
    const trailer = new Uint8Array([0xff, 0xff]);
    return [...this.#blocks, this.#buf.subarray(0, this.#pos), trailer];
  }
}

/** Rows as one text array per column, for an `unnest` insert. */
export class ColumnSink implements RowSink {
  readonly columns: (string | null)[][] = COPY_COLUMNS.map(() => []);
  #client = new Inet();

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
