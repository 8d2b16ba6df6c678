/**
 * The `queries` message body (`log_query` in BIND's query.c):
 *
 * ```text
 * query: NAME CLASS TYPE[ FLAGS][ (DST)][ [ECS addr/source/scope]]
 * ```
 *
 * Flags are read as a set, so both orders parse: 9.11 – 9.20.2 `+SE(0)TDCK`, 9.20.3+
 * `+E(0)STDCK`, and 9.9/9.10 `+SETDC` with a bare `E`. Flags and `(DST)` are optional for
 * 9.3-era lines. Class and type are taken as printed (`CLASS7`, `TYPE65534`): there is no list
 * of known types. Written with `indexOf`/`charCodeAt` because this runs on every query line.
 *
 * @module
 */

import type { ClientHead } from "./bind_client.ts";
import type { QueryLine, RejectedLine } from "./types.ts";

/** Bit of {@linkcode decodeQueryFlags}: `+` (recursion desired). */
export const FLAG_RD = 1;
/** Bit: `S` (signed). */
export const FLAG_SIGNED = 2;
/** Bit: `T` (TCP). */
export const FLAG_TCP = 4;
/** Bit: `D` (DNSSEC OK). */
export const FLAG_DO = 8;
/** Bit: `C` (checking disabled). */
export const FLAG_CD = 16;
/** Bit: `V` (valid server cookie). */
export const FLAG_COOKIE_VALID = 32;
/** Bit: `K` (cookie without a valid server cookie). */
export const FLAG_COOKIE_OTHER = 64;
/** Bit: `E` / `E(n)` present; the EDNS version is `code >>> 8`. */
export const FLAG_EDNS = 128;

const BAD_QUERY: RejectedLine = Object.freeze({ kind: "rejected", reason: "bad_query" });

/**
 * Decode the flags field `line[start, end)` (`+E(0)TDK`, `-SETDC`, …) into the `FLAG_*` bits
 * with the EDNS version in bits 8 and up; -1 when it is not a flags field (first character not
 * `+`/`-`, an unknown letter, a broken `E(n)`, or both `V` and `K`).
 */
export function decodeQueryFlags(line: string, start: number, end: number): number {
  const first = line.charCodeAt(start);
  if ((first !== 43 && first !== 45) || end <= start) return -1;
  let code = first === 43 ? FLAG_RD : 0;
  for (let i = start + 1; i < end; i++) {
    switch (line.charCodeAt(i)) {
      case 69: { // E, E(n)
        if (code & FLAG_EDNS) return -1;
        code |= FLAG_EDNS;
        if (line.charCodeAt(i + 1) !== 40) break;
        let v = 0;
        let j = i + 2;
        for (; j < end; j++) {
          const d = line.charCodeAt(j) - 48;
          if (d < 0 || d > 9) break;
          v = v * 10 + d;
        }
        if (j === i + 2 || j > i + 5 || v > 255 || line.charCodeAt(j) !== 41) return -1;
        code |= v << 8;
        i = j;
        break;
      }
      case 83:
        code |= FLAG_SIGNED;
        break; // S
      case 84:
        code |= FLAG_TCP;
        break; // T
      case 68:
        code |= FLAG_DO;
        break; // D
      case 67:
        code |= FLAG_CD;
        break; // C
      case 86:
        code |= FLAG_COOKIE_VALID;
        break; // V
      case 75:
        code |= FLAG_COOKIE_OTHER;
        break; // K
      default:
        return -1;
    }
  }
  return (code & FLAG_COOKIE_VALID) && (code & FLAG_COOKIE_OTHER) ? -1 : code;
}

/**
 * True when `line[start, end)` is a non-empty run of `[A-Za-z0-9-]`: the shape of a class or
 * type mnemonic (`IN`, `CLASS7`, `NSAP-PTR`, `TYPE65534`).
 */
export function isMnemonic(line: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 45)) {
      return false;
    }
  }
  return true;
}

/** End of the run of mnemonic characters `[A-Za-z0-9-]` that starts at `at`. */
function mnemonicEnd(line: string, at: number): number {
  let i = at;
  for (;;) {
    const c = line.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 45) i++;
    else return i;
  }
}

/**
 * Parse the `query: …` message at `head.message` into a {@linkcode QueryLine}, or reject it as
 * `bad_query`. Never throws.
 *
 * @example
 * ```ts
 * // line = "… client @0x7f843d032098 127.0.0.1#56484 (www.youtube.com): query: " +
 * //   "www.youtube.com IN A +E(0)K (127.0.0.1) [ECS 196.43.0.0/16/0]"
 * // → { kind: "query", qname: "www.youtube.com", ednsVersion: 0, cookie: "K",
 * //     serverIp: "127.0.0.1", ecsSubnet: "196.43.0.0/16", ecsScope: 0, … }
 * ```
 */
export function parseQueryMessage(line: string, head: ClientHead): QueryLine | RejectedLine {
  const len = line.length;
  const p = head.message + 7;
  const sp1 = line.indexOf(" ", p);
  if (sp1 <= p) return BAD_QUERY;
  // Class and type are short: scan them with charCodeAt (cheaper than indexOf calls).
  const sp2 = mnemonicEnd(line, sp1 + 1);
  if (sp2 === sp1 + 1 || line.charCodeAt(sp2) !== 32) return BAD_QUERY;
  const typeEnd = mnemonicEnd(line, sp2 + 1);
  if (typeEnd === sp2 + 1 || (typeEnd !== len && line.charCodeAt(typeEnd) !== 32)) {
    return BAD_QUERY;
  }
  let q = typeEnd;
  let flags: string | null = null;
  let code = 0;
  let serverIp: string | null = null;
  let ecsSubnet: string | null = null;
  let ecsScope: number | null = null;
  let c = line.charCodeAt(q + 1);
  if (c === 43 || c === 45) {
    let end = line.indexOf(" ", q + 1);
    if (end < 0) end = len;
    code = decodeQueryFlags(line, q + 1, end);
    if (code < 0) return BAD_QUERY;
    flags = line.slice(q + 1, end);
    q = end;
    c = line.charCodeAt(q + 1);
  }
  if (c === 40 /* ( */) {
    const close = line.indexOf(")", q + 2);
    if (close <= q + 2) return BAD_QUERY;
    serverIp = line.slice(q + 2, close);
    if (serverIp.indexOf(" ") >= 0) return BAD_QUERY;
    q = close + 1;
  }
  if (q < len && line.charCodeAt(q + 1) === 91 /* [ */ && line.startsWith(" [ECS ", q)) {
    const close = line.indexOf("]", q + 6);
    const slash = close < 0 ? -1 : line.lastIndexOf("/", close);
    if (slash <= q + 6) return BAD_QUERY;
    ecsSubnet = line.slice(q + 6, slash);
    ecsScope = Number(line.slice(slash + 1, close));
    if (ecsSubnet.indexOf("/") < 0 || !Number.isInteger(ecsScope) || slash + 1 === close) {
      return BAD_QUERY;
    }
    q = close + 1;
  }
  if (q !== len) return BAD_QUERY;
  const hasFlags = flags !== null;
  return {
    kind: "query",
    time: head.time,
    zoned: head.zoned,
    yearless: head.yearless,
    clientIp: head.clientIp,
    clientPort: head.clientPort,
    view: head.view,
    qname: line.slice(p, sp1),
    qclass: line.slice(sp1 + 1, sp2),
    qtype: line.slice(sp2 + 1, typeEnd),
    flags,
    recursionDesired: hasFlags ? (code & FLAG_RD) !== 0 : null,
    ednsVersion: code & FLAG_EDNS ? code >>> 8 : null,
    signed: (code & FLAG_SIGNED) !== 0,
    tcp: (code & FLAG_TCP) !== 0,
    dnssecOk: (code & FLAG_DO) !== 0,
    checkingDisabled: (code & FLAG_CD) !== 0,
    cookie: code & FLAG_COOKIE_VALID ? "V" : code & FLAG_COOKIE_OTHER ? "K" : null,
    serverIp,
    ecsSubnet,
    ecsScope,
  };
}
