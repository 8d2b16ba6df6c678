/**
 * BIND's client prefix (`ns_client_logv`), the part between the channel prefix and the message:
 *
 * ```text
 * client [@0xPTR ]IP#PORT[/key NAME][ (QNAME)][: view VIEW]: MESSAGE
 * ```
 *
 * Covers 9.3-era (`client 1.2.3.4#53: query: …`), 9.9/9.10 (no `@0x…`, `(qname)` added),
 * 9.11+ (`@0x…` in any hex case, with or without `0x`), IPv4, bare IPv6 (split on the last `#`),
 * `%zone` (removed from the address), `::ffff:a.b.c.d`, `(no-peer)` and the 9.9 pointer-only
 * peer. The `(qname)` may contain `\)`; a view name may contain `:` and spaces, so the view ends
 * at the first `: ` that is followed by a known message verb.
 *
 * @module
 */

import type { BindPrefix } from "./bind_prefix.ts";
import type { RejectedLine } from "./types.ts";

/** The channel prefix's time plus the client prefix: the common head of every client line. */
export interface ClientHead {
  /** From the channel prefix (see `types.ts`). */
  time: number;
  zoned: boolean;
  yearless: boolean;
  /**
   * Client address without `%zone`. `""` when BIND logged no peer (`(no-peer)`, 9.9
   * pointer-only form); the line parser rejects such query lines as `no_peer`.
   */
  clientIp: string;
  /** Client port; null when no peer was logged. */
  clientPort: number | null;
  /** TSIG/SIG(0) signer from `/key NAME`, else null. */
  key: string | null;
  /** Start of the prefix `(qname)` text in the line, or -1 when absent. */
  qnameStart: number;
  /** End (exclusive) of the prefix `(qname)` text, or -1 when absent. */
  qnameEnd: number;
  /** `view NAME` when present, else null. */
  view: string | null;
  /** Offset of the message (`query: …`, `query failed (…`, …) in the line. */
  message: number;
}

/**
 * Message beginnings that end a view name. `query: ` etc. are what we parse; the others are
 * common `security`/`rate-limit` messages, so their view is split correctly too.
 */
const VERBS = [
  "query: ",
  "query failed (",
  "response: ",
  "rate limit ",
  "would rate limit ",
  "query (cache) ",
  "query '",
  "zone transfer ",
  "update ",
  "bad zone transfer ",
  "received notify ",
  "transfer of ",
  "limit ",
  "would limit ",
];

const BAD_CLIENT: RejectedLine = Object.freeze({ kind: "rejected", reason: "bad_client" });

/**
 * Parse the client prefix that starts at `prefix.rest` (which must begin with `client `).
 * Returns `bad_client` when the prefix is malformed; never throws.
 *
 * @example
 * ```ts
 * const line = "25-Nov-2026 20:44:24.332 client @0x7ff7f86be098 127.0.0.10#56014 " +
 *   "(nas.codeandcore.home): view internal: query: nas.codeandcore.home IN A +E(0)K (127.0.0.1)";
 * const head = parseBindClient(line, { time: 0, zoned: false, yearless: false,
 *   category: null, severity: null, rest: 25 });
 * // head.clientIp === "127.0.0.10", head.clientPort === 56014, head.view === "internal"
 * ```
 */
export function parseBindClient(line: string, prefix: BindPrefix): ClientHead | RejectedLine {
  let p = prefix.rest + 7;
  let clientIp = "";
  let clientPort: number | null = null;
  let peer = true;
  if (line.charCodeAt(p) === 64 /* @ */) {
    // Fast path: `@0x7f… ` ending in a hex digit; the full check only for the rare forms.
    const sp = line.indexOf(" ", p);
    const end = sp > p + 1 && sp < p + 20 && isHex(line.charCodeAt(sp - 1))
      ? sp
      : pointerEnd(line, p + 1);
    if (end < 0) return BAD_CLIENT;
    const c = line.charCodeAt(end);
    if (c === 32 && line.charCodeAt(end + 1) !== 40 /* ( */) {
      p = end + 1; // 9.11+: the peer follows the pointer
    } else if (c === 32 && isNoPeer(line, end + 1)) {
      p = end + 10;
      peer = false;
    } else if (c === 32 || c === 58 || c === 47) {
      p = end; // 9.9/9.10 without a valid peer: the pointer is the peer
      peer = false;
    } else return BAD_CLIENT;
  } else if (isNoPeer(line, p)) {
    p += 9;
    peer = false;
  }
  if (peer) {
    let sp = line.indexOf(" ", p);
    if (sp < 0) sp = line.length;
    // The port is at most 5 digits and a token may end with `:` or `/key`: look back a little
    // (String#lastIndexOf is a slow runtime call in V8), then fall back to a full search.
    let hash = sp - 1;
    while (hash > sp - 8 && hash > p && line.charCodeAt(hash) !== 35) hash--;
    if (line.charCodeAt(hash) !== 35) hash = line.lastIndexOf("#", sp - 1);
    if (hash <= p) return BAD_CLIENT;
    let port = 0;
    let i = hash + 1;
    for (; i < sp; i++) {
      const d = line.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      port = port * 10 + d;
    }
    const c = line.charCodeAt(i);
    if (i === hash + 1 || i > hash + 6 || port > 65535 || (c !== 32 && c !== 58 && c !== 47)) {
      return BAD_CLIENT;
    }
    const end = addressEnd(line, p, hash);
    if (end <= p) return BAD_CLIENT;
    clientIp = line.slice(p, end);
    clientPort = port;
    p = i;
  }
  let key: string | null = null;
  if (line.charCodeAt(p) === 47 && line.startsWith("/key ", p)) {
    let end = line.indexOf(" ", p + 5);
    if (end < 0) return BAD_CLIENT;
    if (line.charCodeAt(end - 1) === 58) end--;
    if (end <= p + 5) return BAD_CLIENT;
    key = line.slice(p + 5, end);
    p = end;
  }
  let qnameStart = -1;
  let qnameEnd = -1;
  if (line.charCodeAt(p) === 32 && line.charCodeAt(p + 1) === 40) {
    // A logged name never contains whitespace, so the first "): " closes it even after `\)`.
    let close = line.indexOf(")", p + 2);
    while (close > 0 && (line.charCodeAt(close + 1) !== 58 || line.charCodeAt(close + 2) !== 32)) {
      close = line.indexOf(")", close + 1);
    }
    if (close < 0) return BAD_CLIENT;
    qnameStart = p + 2;
    qnameEnd = close;
    p = close + 1;
  }
  if (line.charCodeAt(p) !== 58 || line.charCodeAt(p + 1) !== 32) return BAD_CLIENT;
  p += 2;
  let view: string | null = null;
  if (line.charCodeAt(p) === 118 /* v */ && line.startsWith("view ", p)) {
    const start = p + 5;
    const end = viewEnd(line, start);
    if (end <= start) return BAD_CLIENT;
    view = line.slice(start, end);
    p = end + 2;
  }
  return {
    time: prefix.time ?? 0,
    zoned: prefix.zoned,
    yearless: prefix.yearless,
    clientIp,
    clientPort,
    key,
    qnameStart,
    qnameEnd,
    view,
    message: p,
  };
}

/** The prefix `(qname)` text of `head`, or null when the prefix had none. */
export function prefixQname(line: string, head: ClientHead): string | null {
  return head.qnameStart < 0 ? null : line.slice(head.qnameStart, head.qnameEnd);
}

/** End of `(0x)?hex+` at `at`, or -1. */
function pointerEnd(line: string, at: number): number {
  let i = at;
  if (line.charCodeAt(i) === 48 && (line.charCodeAt(i + 1) | 32) === 120) i += 2;
  const start = i;
  while (isHex(line.charCodeAt(i))) i++;
  return i > start ? i : -1;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

function isNoPeer(line: string, at: number): boolean {
  if (!line.startsWith("(no-peer)", at)) return false;
  const c = line.charCodeAt(at + 9);
  return c === 32 || c === 58 || c === 47;
}

/**
 * End of a dotted IPv4 or bare IPv6 address in `line[start, end)` (hex digits, `:` and `.`,
 * with at least one separator), excluding a `%zone` suffix; -1 when it is not one.
 */
function addressEnd(line: string, start: number, end: number): number {
  let sep = false;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 46 || c === 58) sep = true;
    else if (c === 37 /* % */ && i > start) return sep ? i : -1;
    else if (!isHex(c)) return -1;
  }
  return sep ? end : -1;
}

/** Offset of the `: ` that ends a view name starting at `start`, or -1. */
function viewEnd(line: string, start: number): number {
  const first = line.indexOf(": ", start);
  for (let s = first; s >= 0; s = line.indexOf(": ", s + 1)) {
    for (const verb of VERBS) if (line.startsWith(verb, s + 2)) return s;
  }
  return first;
}
