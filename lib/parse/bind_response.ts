/**
 * The `responses` message body, BIND ≥ 9.20.3 (`responselog yes;`):
 *
 * ```text
 * response: NAME CLASS TYPE RCODE ANCOUNT NSCOUNT ARCOUNT FLAGS (DST)[ [ECS addr/src/scope]]
 * ```
 *
 * RCODE is `dns_rcode_totext` (`NOERROR`, `NXDOMAIN`, or a number when unknown); FLAGS use the
 * same letters as query lines. The ECS suffix is checked for shape but not returned
 * (`ResponseLine` has no ECS field; the query line carries it).
 *
 * @module
 */

import type { ClientHead } from "./bind_client.ts";
import { decodeQueryFlags, isMnemonic } from "./bind_query.ts";
import type { RejectedLine, ResponseLine } from "./types.ts";

const BAD_RESPONSE: RejectedLine = Object.freeze({ kind: "rejected", reason: "bad_response" });

/** `response: ` */
const VERB = "response: ";

/** True when the message at `at` is a `response: …` line. */
export function isResponseMessage(line: string, at: number): boolean {
  return line.startsWith(VERB, at);
}

/**
 * Parse the `response: …` message at `head.message` into a {@linkcode ResponseLine}, or
 * reject it as `bad_response`. Never throws.
 *
 * @example
 * ```ts
 * // "… (example.com): response: example.com IN A NXDOMAIN 0 1 0 +E(0)K (127.0.0.1)"
 * // → { kind: "response", rcode: "NXDOMAIN", answerCount: 0, authorityCount: 1, … }
 * ```
 */
export function parseResponseMessage(
  line: string,
  head: ClientHead,
): ResponseLine | RejectedLine {
  const len = line.length;
  const ends: number[] = [];
  let p = head.message + VERB.length;
  const nameStart = p;
  // NAME CLASS TYPE RCODE AN NS AR FLAGS: eight space-separated fields.
  for (let i = 0; i < 8; i++) {
    const sp = line.indexOf(" ", p);
    if (sp <= p) return BAD_RESPONSE;
    ends.push(sp);
    p = sp + 1;
  }
  const start = (i: number) => (i === 0 ? nameStart : ends[i - 1] + 1);
  if (!isMnemonic(line, start(1), ends[1]) || !isMnemonic(line, start(2), ends[2])) {
    return BAD_RESPONSE;
  }
  if (!isMnemonic(line, start(3), ends[3])) return BAD_RESPONSE;
  const an = count(line, start(4), ends[4]);
  const ns = count(line, start(5), ends[5]);
  const ar = count(line, start(6), ends[6]);
  if (an < 0 || ns < 0 || ar < 0) return BAD_RESPONSE;
  if (decodeQueryFlags(line, start(7), ends[7]) < 0) return BAD_RESPONSE;
  if (line.charCodeAt(p) !== 40) return BAD_RESPONSE;
  const close = line.indexOf(")", p + 1);
  if (close <= p + 1) return BAD_RESPONSE;
  const serverIp = line.slice(p + 1, close);
  if (serverIp.indexOf(" ") >= 0) return BAD_RESPONSE;
  if (close + 1 !== len) {
    const rest = line.slice(close + 1);
    if (!rest.startsWith(" [ECS ") || !rest.endsWith("]") || rest.indexOf(" ", 6) >= 0) {
      return BAD_RESPONSE;
    }
  }
  return {
    kind: "response",
    time: head.time,
    zoned: head.zoned,
    yearless: head.yearless,
    clientIp: head.clientIp,
    clientPort: head.clientPort,
    view: head.view,
    qname: line.slice(nameStart, ends[0]),
    qclass: line.slice(start(1), ends[1]),
    qtype: line.slice(start(2), ends[2]),
    rcode: line.slice(start(3), ends[3]),
    answerCount: an,
    authorityCount: ns,
    additionalCount: ar,
    flags: line.slice(start(7), ends[7]),
    serverIp,
  };
}

/** Decimal count `line[start, end)` (at most 5 digits), or -1. */
function count(line: string, start: number, end: number): number {
  if (end <= start || end - start > 5) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
