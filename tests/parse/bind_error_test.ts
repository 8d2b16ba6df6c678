/**
 * `query failed (…)` and RRL error-response lines: real 9.18 lines from the fixtures, the
 * 9.18.1 public report, reasons with spaces, old forms without ` for …`, and malformed ones.
 */

import assert from "node:assert/strict";
import { parseBindLine } from "../../lib/parse/bind_line.ts";

const TS = "25-Nov-2026 20:17:27.260 ";
const C = "client @0x7fc77249b098 127.0.0.2#52536";

const CASES: { name: string; line: string; want: Record<string, unknown> }[] = [
  {
    name: "9.18 REFUSED (fixture)",
    line: "25-Nov-2026 20:43:17.064 client @0x7fd4b7b2fc98 127.0.0.14#37715 (youtube.com): " +
      "query failed (REFUSED) for youtube.com/IN/A at query.c:5708",
    want: {
      kind: "error",
      time: Date.UTC(2026, 10, 25, 20, 43, 17, 64),
      clientIp: "127.0.0.14",
      clientPort: 37715,
      view: null,
      reason: "REFUSED",
      qname: "youtube.com",
      qclass: "IN",
      qtype: "A",
    },
  },
  {
    name: "9.18 failure in a view (fixture)",
    line: "25-Nov-2026 20:44:24.480 client @0x7ff7f5b1d098 127.0.0.14#44310 (netflix.com): " +
      "view external: query failed (REFUSED) for netflix.com/IN/A at query.c:5708",
    want: { kind: "error", view: "external", reason: "REFUSED", qname: "netflix.com" },
  },
  {
    name: "9.18.1 public report: TYPE65, view f",
    line: "05-Apr-2022 10:00:00.000 client @0x7f2b90004ea0 212.1.2.3#37848 " +
      "(hclm.allianz.com.tr): view f: query failed (SERVFAIL) for hclm.allianz.com.tr/IN/TYPE65 " +
      "at query.c:6182",
    want: { kind: "error", view: "f", reason: "SERVFAIL", qtype: "TYPE65" },
  },
  {
    name: "reason with a space, Ubuntu __FILE__",
    line: `${TS}${C} (x.com): query failed (timed out) for x.com/IN/AAAA at ` +
      "../../../bin/named/query.c:7177",
    want: { kind: "error", reason: "timed out", qname: "x.com", qtype: "AAAA" },
  },
  {
    name: "CHAOS class",
    line:
      `${TS}${C} (version.bind): query failed (REFUSED) for version.bind/CH/TXT at query.c:5708`,
    want: { kind: "error", qclass: "CH", qtype: "TXT" },
  },
  {
    name: "name with / and escapes",
    line: `${TS}${C} (a/b\\).x.com): query failed (failure) for a/b\\).x.com/IN/A at query.c:1`,
    want: { kind: "error", qname: "a/b\\).x.com", qclass: "IN", qtype: "A" },
  },
  {
    name: "root name",
    line: `${TS}${C} (.): query failed (SERVFAIL) for ./IN/NS at query.c:1`,
    want: { kind: "error", qname: ".", qtype: "NS" },
  },
  {
    name: "for NAME without class/type",
    line: `${TS}${C} (x.com): query failed (FORMERR) for x.com at query.c:1`,
    want: { kind: "error", reason: "FORMERR", qname: "x.com", qclass: null, qtype: null },
  },
  {
    name: "no ` for …`: name from the client prefix",
    line: `${TS}${C} (x.com): query failed (quota reached) at query.c:1`,
    want: { kind: "error", reason: "quota reached", qname: "x.com", qclass: null, qtype: null },
  },
  {
    name: "no ` for …` and no (qname): empty name",
    line: `${TS}client 192.0.2.1#53: query failed (FORMERR) at query.c:1`,
    want: { kind: "error", qname: "", qclass: null, qtype: null, clientIp: "192.0.2.1" },
  },
  // rate limit error responses
  {
    name: "rate limit slip SERVFAIL (fixture)",
    line: "25-Nov-2026 20:44:40.820 client @0x7ff7f86c1898 127.0.0.12#40584 (api.dead.co.ug): " +
      "view internal: rate limit slip SERVFAIL error response to 127.0.0.0/24",
    want: {
      kind: "ratelimit",
      action: "slip",
      reason: "SERVFAIL",
      qname: "api.dead.co.ug",
      qclass: null,
      qtype: null,
      view: "internal",
      clientPort: 40584,
    },
  },
  {
    name: "rate limit drop failure (fixture)",
    line: "25-Nov-2026 20:44:46.700 client @0x7ff7f8645098 127.0.0.10#57724 (pttpdh.dead.co.ug): " +
      "view internal: rate limit drop failure error response to 127.0.0.0/24",
    want: { kind: "ratelimit", action: "drop", reason: "failure" },
  },
  {
    name: "would (log-only) with REFUSED and a for-part",
    line: `${TS}${C} (x.com): would rate limit drop REFUSED error response to 127.0.0.0/24 for ` +
      "x.com IN A  (0badcafe)",
    want: { kind: "ratelimit", action: "would drop", reason: "REFUSED", qclass: "IN", qtype: "A" },
  },
  {
    name: "no reason word, IPv6 /56",
    line: "25-Nov-2026 20:44:46.700 client @0x7ff7f8645098 2001:db8::1#5353 (y.org): " +
      "rate limit slip error response to 2001:db8::/56",
    want: {
      kind: "ratelimit",
      action: "slip",
      reason: "",
      qname: "y.org",
      clientIp: "2001:db8::1",
    },
  },
  {
    name: "query-errors category copy counts",
    line: `${TS}query-errors: info: ${C} (x.com): rate limit drop SERVFAIL error response to ` +
      "127.0.0.0/24",
    want: { kind: "ratelimit" },
  },
  {
    name: "rate-limit category copy is other",
    line: `${TS}rate-limit: info: ${C} (x.com): rate limit drop SERVFAIL error response to ` +
      "127.0.0.0/24",
    want: { kind: "other" },
  },
  // malformed
  {
    name: "no file:line",
    line: `${TS}${C} (x.com): query failed (REFUSED) for x.com/IN/A`,
    want: { kind: "rejected", reason: "bad_error" },
  },
  {
    name: "line number not numeric",
    line: `${TS}${C} (x.com): query failed (REFUSED) for x.com/IN/A at query.c:x`,
    want: { kind: "rejected", reason: "bad_error" },
  },
  {
    name: "empty reason",
    line: `${TS}${C} (x.com): query failed () at query.c:1`,
    want: { kind: "rejected", reason: "bad_error" },
  },
  {
    name: "rate limit with an unknown action",
    line: `${TS}${C} (x.com): rate limit skip SERVFAIL error response to 127.0.0.0/24`,
    want: { kind: "rejected", reason: "bad_ratelimit" },
  },
  {
    name: "rate limit without a CIDR",
    line: `${TS}${C} (x.com): rate limit drop SERVFAIL error response to 127.0.0.0`,
    want: { kind: "rejected", reason: "bad_ratelimit" },
  },
];

for (const c of CASES) {
  Deno.test(`query-errors: ${c.name}`, () => {
    const got = parseBindLine(c.line) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(c.want)) {
      assert.deepEqual(got[key], value, `${key} of ${JSON.stringify(got)}`);
    }
  });
}
