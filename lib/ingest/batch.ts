/**
 * A batch: the rows, query-errors lines and reject samples read from one stretch of one
 * file, with the checkpoint that stretch ends at. Query rows are encoded straight into
 * COPY text as they are parsed; nothing about a stored row changes before commit (the
 * rcode joins run in SQL), so no row objects are kept.
 *
 * @module
 */
import type { ErrorLine, QueryLine, RateLimitLine, ResponseLine } from "../parse/types.ts";
import { isIpAddress, isSubnet } from "./address.ts";

/** Columns of dns_queries written by COPY, in order. */
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

/** One query-errors (or response) line bound for dns_query_errors. */
export interface ErrorRow {
  loggedAt: number;
  kind: "failed" | "ratelimit" | "response";
  clientIp: string;
  clientPort: number | null;
  domain: string | null;
  qclass: string | null;
  qtype: string | null;
  view: string | null;
  reason: string | null;
  rcode: string | null;
  byteOffset: number;
}

/** A rejected-line sample bound for ingest_rejects. */
export interface RejectSample {
  reason: string;
  byteOffset: number;
  length: number;
  sample: Uint8Array;
}

/** Counters of one batch (and, summed, of a file and a run). */
export interface Counts {
  lines: number;
  rows: number;
  errorLines: number;
  skipped: number;
  rejected: number;
  reasons: Record<string, number>;
}

/** Fresh zeroed {@linkcode Counts}. */
export function zeroCounts(): Counts {
  return { lines: 0, rows: 0, errorLines: 0, skipped: 0, rejected: 0, reasons: {} };
}

/** Add `b` into `a`. */
export function addCounts(a: Counts, b: Counts): void {
  a.lines += b.lines;
  a.rows += b.rows;
  a.errorLines += b.errorLines;
  a.skipped += b.skipped;
  a.rejected += b.rejected;
  for (const [k, v] of Object.entries(b.reasons)) a.reasons[k] = (a.reasons[k] ?? 0) + v;
}

/** The rcode a query-errors reason means: REFUSED → REFUSED, everything else SERVFAIL. */
export function rcodeOfReason(reason: string): string {
  return reason === "REFUSED" ? "REFUSED" : "SERVFAIL";
}

/** Escape a value for COPY text format; most values need nothing. */
function copyText(s: string): string {
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replace(
    /[\\\t\n\r]/g,
    (c) => c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

function nullable(s: string | null): string {
  return s === null ? "\\N" : copyText(s);
}

function bool(b: boolean | null): string {
  return b === null ? "\\N" : b ? "t" : "f";
}

/** Formats epoch ms as ISO-8601 UTC with ms; the date part is cached per second. */
export class TimeFormatter {
  #sec = NaN;
  #prefix = "";
  format(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.#sec) {
      this.#sec = sec;
      this.#prefix = new Date(sec * 1000).toISOString().slice(0, 20);
    }
    const r = ms - sec * 1000;
    return this.#prefix + (r < 10 ? "00" : r < 100 ? "0" : "") + r + "Z";
  }
}

/** The stretch of one file a batch covers. */
export interface BatchSource {
  path: string;
  fingerprint: string;
  startOffset: number;
}

/** Accumulates one batch. */
export class Batch {
  readonly source: BatchSource;
  endOffset: number;
  readonly counts: Counts = zeroCounts();
  readonly errors: ErrorRow[] = [];
  readonly rejects: RejectSample[] = [];
  /** Wall-clock day numbers of the rows (their partitions must exist). */
  readonly days = new Set<number>();
  minAt = Infinity;
  maxAt = -Infinity;
  lastLineAt: number | null = null;
  #parts: string[] = [];
  #chunk = "";
  copyBytes = 0;

  constructor(source: BatchSource) {
    this.source = source;
    this.endOffset = source.startOffset;
  }

  /** COPY text of the rows, in chunks of about 1 MiB. */
  copyChunks(): string[] {
    if (this.#chunk !== "") {
      this.#parts.push(this.#chunk);
      this.#chunk = "";
    }
    return this.#parts;
  }

  #track(at: number, wallDay: number): void {
    if (at < this.minAt) this.minAt = at;
    if (at > this.maxAt) this.maxAt = at;
    this.lastLineAt = at;
    this.days.add(wallDay);
  }

  /** Add a query row; false (and nothing added) when an address is unusable. */
  addQuery(
    q: QueryLine,
    at: number,
    wallDay: number,
    enc: { domain: string; apex: string; nodeId: string; ts: TimeFormatter },
  ): boolean {
    if (!isIpAddress(q.clientIp)) return false;
    const server = q.serverIp !== null && isIpAddress(q.serverIp) ? q.serverIp : null;
    const ecs = q.ecsSubnet !== null && isSubnet(q.ecsSubnet) ? q.ecsSubnet : null;
    const line = enc.ts.format(at) + "\t" + q.clientIp + "\t" +
      (q.clientPort === null ? "\\N" : q.clientPort) + "\t" + copyText(enc.domain) + "\t" +
      copyText(enc.apex) + "\t" + nullable(q.qtype) + "\t" + nullable(q.flags) + "\t" +
      enc.nodeId + "\t" + nullable(q.qclass) + "\t" + nullable(q.view) + "\t" +
      (q.flags === null ? "\\N" : q.tcp ? "tcp" : "udp") + "\t" + bool(q.recursionDesired) +
      "\t" + (q.ednsVersion === null ? "\\N" : q.ednsVersion) + "\t" +
      bool(q.flags === null ? null : q.dnssecOk) + "\t" +
      bool(q.flags === null ? null : q.checkingDisabled) + "\t" + (ecs ?? "\\N") + "\t" +
      (server ?? "\\N") + "\n";
    this.#chunk += line;
    this.copyBytes += line.length;
    if (this.#chunk.length > 1 << 20) {
      this.#parts.push(this.#chunk);
      this.#chunk = "";
    }
    this.counts.rows++;
    this.#track(at, wallDay);
    return true;
  }

  /** Add a query-errors, rate-limit or response line; false when its address is unusable. */
  addError(
    e: ErrorLine | RateLimitLine | ResponseLine,
    at: number,
    domain: string | null,
    byteOffset: number,
  ): boolean {
    if (!isIpAddress(e.clientIp)) return false;
    this.errors.push({
      loggedAt: at,
      kind: e.kind === "error" ? "failed" : e.kind,
      clientIp: e.clientIp,
      clientPort: e.clientPort,
      domain,
      qclass: e.qclass,
      qtype: e.qtype,
      view: e.view,
      reason: e.kind === "response" ? null : e.reason,
      rcode: e.kind === "error" ? rcodeOfReason(e.reason) : e.kind === "response" ? e.rcode : null,
      byteOffset,
    });
    this.counts.errorLines++;
    this.lastLineAt = at;
    return true;
  }

  /** Count a rejected line; keep its sample when `keepSample`. */
  addReject(r: RejectSample, keepSample: boolean): void {
    this.counts.rejected++;
    this.counts.reasons[r.reason] = (this.counts.reasons[r.reason] ?? 0) + 1;
    if (keepSample) this.rejects.push(r);
  }

  /** True when there is nothing to write but the checkpoint. */
  get empty(): boolean {
    return this.counts.rows === 0 && this.errors.length === 0 && this.rejects.length === 0;
  }
}
