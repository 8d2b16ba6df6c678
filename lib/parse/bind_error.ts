/**
 * The `query-errors` message bodies that name one client query:
 *
 * ```text
 * query failed (REASON)[ for NAME[/CLASS/TYPE]] at FILE:LINE
 * [would ]rate limit drop|slip [REASON ]error response to CIDR[ for NAME CLASS TYPE  (hash)]
 * ```
 *
 * REASON of `query failed` is an `isc_result` text, not an rcode, and may contain spaces
 * (`timed out`, `quota reached`). Without ` for …` (no question in the request) the name comes
 * from the client prefix `(qname)`; without that too, `qname` is `""` and class/type are null.
 * A rate-limit line's name likewise comes from the client prefix `(qname)`.
 *
 * @module
 */

import { type ClientHead, prefixQname } from "./bind_client.ts";
import { isMnemonic } from "./bind_query.ts";
import type { ErrorLine, RateLimitLine, RejectedLine } from "./types.ts";

const BAD_ERROR: RejectedLine = Object.freeze({ kind: "rejected", reason: "bad_error" });
const BAD_RATELIMIT: RejectedLine = Object.freeze({ kind: "rejected", reason: "bad_ratelimit" });

/** `query failed (` */
const FAILED = "query failed (";

/** True when the message at `at` is a `query failed (…` line. */
export function isQueryFailedMessage(line: string, at: number): boolean {
  return line.startsWith(FAILED, at);
}

/**
 * True when the message at `at` is an RRL error-response line (`[would ]rate limit drop|slip
 * … error response to …`); RRL lines about ordinary responses are not.
 */
export function isRateLimitErrorMessage(line: string, at: number): boolean {
  const p = line.startsWith("would ", at) ? at + 6 : at;
  return line.startsWith("rate limit ", p) && line.indexOf("error response to ", p + 11) > 0;
}

/**
 * Parse `query failed (REASON)…` at `head.message` into an {@linkcode ErrorLine}, or reject it
 * as `bad_error`. Never throws.
 *
 * @example
 * ```ts
 * // "… (mail.lame.co.ug): query failed (SERVFAIL) for mail.lame.co.ug/IN/MX at query.c:7177"
 * // → { kind: "error", reason: "SERVFAIL", qname: "mail.lame.co.ug", qclass: "IN", qtype: "MX" }
 * ```
 */
export function parseErrorMessage(line: string, head: ClientHead): ErrorLine | RejectedLine {
  const open = head.message + FAILED.length;
  const at = line.lastIndexOf(" at ");
  if (at <= open) return BAD_ERROR;
  const colon = line.lastIndexOf(":");
  if (colon <= at + 4 || colon === line.length - 1 || !allDigits(line, colon + 1)) {
    return BAD_ERROR;
  }
  if (line.indexOf(" ", at + 4) >= 0) return BAD_ERROR;
  let reason: string;
  let qname = prefixQname(line, head) ?? "";
  let qclass: string | null = null;
  let qtype: string | null = null;
  if (line.charCodeAt(at - 1) === 41 /* ) */) {
    reason = line.slice(open, at - 1);
  } else {
    const close = line.lastIndexOf(") for ", at);
    if (close < open || at <= close + 6) return BAD_ERROR;
    const spec = line.slice(close + 6, at);
    if (spec.indexOf(" ") >= 0) return BAD_ERROR;
    reason = line.slice(open, close);
    qname = spec;
    const s2 = spec.lastIndexOf("/");
    const s1 = s2 > 0 ? spec.lastIndexOf("/", s2 - 1) : -1;
    if (s1 > 0 && isClass(spec.slice(s1 + 1, s2)) && isMnemonic(spec, s2 + 1, spec.length)) {
      qname = spec.slice(0, s1);
      qclass = spec.slice(s1 + 1, s2);
      qtype = spec.slice(s2 + 1);
    }
  }
  if (reason.length === 0 || reason.indexOf(")") >= 0) return BAD_ERROR;
  return {
    kind: "error",
    time: head.time,
    zoned: head.zoned,
    yearless: head.yearless,
    clientIp: head.clientIp,
    clientPort: head.clientPort,
    view: head.view,
    qname,
    qclass,
    qtype,
    reason,
  };
}

/**
 * Parse an RRL error-response line at `head.message` into a {@linkcode RateLimitLine}, or
 * reject it as `bad_ratelimit`. Never throws.
 *
 * @example
 * ```ts
 * // "… (api.dead.co.ug): view internal: rate limit slip SERVFAIL error response to 127.0.0.0/24"
 * // → { kind: "ratelimit", action: "slip", reason: "SERVFAIL", qname: "api.dead.co.ug", … }
 * ```
 */
export function parseRateLimitMessage(
  line: string,
  head: ClientHead,
): RateLimitLine | RejectedLine {
  let p = head.message;
  const would = line.startsWith("would ", p);
  if (would) p += 6;
  if (!line.startsWith("rate limit ", p)) return BAD_RATELIMIT;
  p += 11;
  const verb = line.slice(p, p + 5);
  if (verb !== "drop " && verb !== "slip ") return BAD_RATELIMIT;
  p += 5;
  const to = line.indexOf("error response to ", p);
  if (to < 0 || (to > p && line.charCodeAt(to - 1) !== 32)) return BAD_RATELIMIT;
  const reason = to > p ? line.slice(p, to - 1) : "";
  const cidrStart = to + 18;
  let cidrEnd = line.indexOf(" ", cidrStart);
  if (cidrEnd < 0) cidrEnd = line.length;
  const slash = line.indexOf("/", cidrStart);
  if (slash <= cidrStart || slash >= cidrEnd - 1) return BAD_RATELIMIT;
  let qname = prefixQname(line, head);
  let qclass: string | null = null;
  let qtype: string | null = null;
  if (line.startsWith(" for ", cidrEnd)) {
    // rate-limit category style: `for NAME CLASS TYPE  (hash)`; class and type are optional.
    const words = line.slice(cidrEnd + 5).split(" ");
    qname ??= words[0];
    if (words.length > 1 && isClass(words[1])) {
      qclass = words[1];
      if (words.length > 2 && isMnemonic(words[2], 0, words[2].length)) qtype = words[2];
    }
  } else if (cidrEnd !== line.length) return BAD_RATELIMIT;
  return {
    kind: "ratelimit",
    time: head.time,
    zoned: head.zoned,
    yearless: head.yearless,
    clientIp: head.clientIp,
    clientPort: head.clientPort,
    view: head.view,
    qname: qname ?? "",
    qclass,
    qtype,
    action: would ? "would " + verb.slice(0, 4) : verb.slice(0, 4),
    reason,
  };
}

/** `IN`, `CH`, `HS`, `NONE`, `ANY` or `CLASSnnn`: how BIND prints a class. */
function isClass(s: string): boolean {
  if (s === "IN" || s === "CH" || s === "HS" || s === "NONE" || s === "ANY") return true;
  return s.length > 5 && s.startsWith("CLASS") && allDigits(s, 5);
}

function allDigits(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return from < s.length;
}
