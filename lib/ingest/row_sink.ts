/**
 * Where a batch's query rows go as they are parsed: the columns they fill, and the sinks that
 * take them. On PostgreSQL that is binary COPY data (lib/ingest/binary_sink.ts); for the
 * embedded database, whose socket cannot carry COPY, {@linkcode ColumnSink} here keeps one text
 * array per column for an `unnest` insert. Both write the columns of
 * {@linkcode COPY_COLUMNS} (or {@linkcode DNSTAP_COLUMNS}), in order.
 *
 * @module
 */
import type { QueryLine } from "../parse/types.ts";
import { Inet } from "./address.ts";

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
