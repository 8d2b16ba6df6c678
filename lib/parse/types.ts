/**
 * The records the BIND log parsers produce. Every parser is a pure function from one line
 * (without its newline) to one of these; none of them ever throws.
 *
 * Times: `time` is milliseconds. When `zoned` is true it is a real epoch (the line carried
 * `Z` or an offset). When `zoned` is false it is the wall-clock time of the line encoded as if
 * it were UTC (`Date.UTC(y, m, d, h, mi, s, ms)`); the caller converts it with the log's time
 * zone (`DNSA_LOG_TZ`). When `yearless` is true (RFC 3164 syslog, journal), the year in `time`
 * is 2000 (a leap year, so 29 Feb survives) and the caller infers the real year.
 *
 * @module
 */

/** Fields shared by every line that carries BIND's client prefix. */
export interface ClientLine {
  /** See the module doc. */
  time: number;
  zoned: boolean;
  yearless: boolean;
  /** Client address as logged: dotted IPv4 or bare IPv6 (a `%zone` suffix removed). */
  clientIp: string;
  /** Client port; null for forms that log no port (`(no-peer)`, 9.9 `@0x…`). */
  clientPort: number | null;
  /** `view NAME:` when present, else null. */
  view: string | null;
  /** The query name exactly as BIND printed it (case and `\` escapes kept). */
  qname: string;
  /** Class mnemonic as printed (`IN`, `CH`, `CLASS7`); null when the line does not say. */
  qclass: string | null;
  /** Type mnemonic as printed (`A`, `HTTPS`, `TYPE999`); null when the line does not say. */
  qtype: string | null;
}

/** A `queries` category line: one client query. */
export interface QueryLine extends ClientLine {
  kind: "query";
  /** The flags field as printed (`+E(0)K`), or null on 9.3-era lines without flags. */
  flags: string | null;
  /** RD bit (`+`); null without flags. */
  recursionDesired: boolean | null;
  /** EDNS version from `E(n)`, 0 for a bare `E` (9.9/9.10); null without EDNS. */
  ednsVersion: number | null;
  /** `S`: TSIG/SIG(0) signed. */
  signed: boolean;
  /** `T`: TCP (also DoT/DoH on 9.18+). */
  tcp: boolean;
  /** `D`: DNSSEC OK. */
  dnssecOk: boolean;
  /** `C`: checking disabled. */
  checkingDisabled: boolean;
  /** `V` valid server cookie, `K` cookie without a valid server cookie, else null. */
  cookie: "V" | "K" | null;
  /** Local address the query arrived on, `(…)`; null on old forms. */
  serverIp: string | null;
  /** `[ECS addr/source/scope]`: `addr/source`; null when absent. */
  ecsSubnet: string | null;
  /** `[ECS addr/source/scope]`: scope prefix; null when absent. */
  ecsScope: number | null;
}

/** A `query-errors` line: `query failed (REASON) for NAME/CLASS/TYPE at FILE:LINE`. */
export interface ErrorLine extends ClientLine {
  kind: "error";
  /** The isc_result text between the parentheses (`REFUSED`, `failure`, `timed out`). */
  reason: string;
}

/** A rate-limit error-response line (`rate limit drop|slip … error response to …`). */
export interface RateLimitLine extends ClientLine {
  kind: "ratelimit";
  /** `drop` or `slip`; `would drop` / `would slip` in log-only mode keep the `would `. */
  action: string;
  /** The text before `error response` (`SERVFAIL`, `failure`, `REFUSED`), or "" when none. */
  reason: string;
}

/** A BIND ≥ 9.20.3 `responses` category line: the rcode of one answered query. */
export interface ResponseLine extends ClientLine {
  kind: "response";
  /** rcode mnemonic as printed (`NOERROR`, `NXDOMAIN`, or a number when unknown). */
  rcode: string;
  answerCount: number;
  authorityCount: number;
  additionalCount: number;
  flags: string;
  serverIp: string | null;
}

/** A line recognised as BIND's but of another category or message: counted as skipped. */
export interface OtherLine {
  kind: "other";
}

/** A line that is not a well-formed BIND line: counted as rejected with `reason`. */
export interface RejectedLine {
  kind: "rejected";
  /** A short, stable snake_case reason, e.g. `bad_query`, `unrecognized`, `bad_timestamp`. */
  reason: string;
}

/** What the line parser decides about one line. */
export type ParsedLine =
  | QueryLine
  | ErrorLine
  | RateLimitLine
  | ResponseLine
  | OtherLine
  | RejectedLine;
