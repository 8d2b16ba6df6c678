/**
 * parseBindLine over real lines (fixtures, reference docs) for every prefix/version variant:
 * which kind each line is, and the fields that matter.
 */

import assert from "node:assert/strict";
import { parseBindLine } from "../../lib/parse/bind_line.ts";

const T = Date.UTC(2026, 10, 25, 20, 43, 16, 780);
const Q = "client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): query: youtube.com IN A +E(0)K " +
  "(127.0.0.1)";

interface Case {
  name: string;
  line: string;
  want: Record<string, unknown>;
}

const CASES: Case[] = [
  // --- BIND versions (file channel, print-time local) ---
  {
    name: "9.18 fixture line",
    line: `25-Nov-2026 20:43:16.780 ${Q}`,
    want: {
      kind: "query",
      time: T,
      zoned: false,
      yearless: false,
      clientIp: "127.0.0.10",
      clientPort: 35728,
      view: null,
      qname: "youtube.com",
      qclass: "IN",
      qtype: "A",
      flags: "+E(0)K",
      cookie: "K",
      serverIp: "127.0.0.1",
    },
  },
  {
    name: "9.3-era: no (qname), no flags, no (dst)",
    line: "28-Feb-2000 15:05:32.863 client 192.0.2.1#1053: query: www.example.com IN A",
    want: {
      kind: "query",
      time: Date.UTC(2000, 1, 28, 15, 5, 32, 863),
      clientIp: "192.0.2.1",
      clientPort: 1053,
      qname: "www.example.com",
      qtype: "A",
      flags: null,
      recursionDesired: null,
      ednsVersion: null,
      serverIp: null,
    },
  },
  {
    name: "9.9: no @0x, bare E",
    line: "28-Feb-2013 15:05:32.863 client 192.0.2.1#1053 (www.example.com): query: " +
      "www.example.com IN A +E (192.0.2.53)",
    want: { kind: "query", flags: "+E", ednsVersion: 0, serverIp: "192.0.2.53" },
  },
  {
    name: "9.9: -EDC",
    line: "28-Feb-2013 15:05:32.863 client 192.0.2.1#1053 (example.com): view v: query: " +
      "example.com IN DNSKEY -EDC (192.0.2.53)",
    want: {
      kind: "query",
      view: "v",
      recursionDesired: false,
      dnssecOk: true,
      checkingDisabled: true,
      cookie: null,
    },
  },
  {
    name: "9.11 ARM example",
    line: "28-Feb-2017 15:05:32.863 client @0x7f91b8005490 127.0.0.1#62536 (www.example.com): " +
      "query: www.example.com IN AAAA +E(0)K (127.0.0.1)",
    want: { kind: "query", clientPort: 62536, qtype: "AAAA", ednsVersion: 0, cookie: "K" },
  },
  {
    name: "9.16 with ECS",
    line: "25-Nov-2026 20:16:21.768 client @0x7f843d032098 127.0.0.1#56484 (www.youtube.com): " +
      "query: www.youtube.com IN A +E(0)K (127.0.0.1) [ECS 196.43.0.0/16/0]",
    want: { kind: "query", ecsSubnet: "196.43.0.0/16", ecsScope: 0 },
  },
  {
    name: "9.20.3 flag order with /key TSIG",
    line: "25-Nov-2026 20:16:21.768 client @0x7f843d032098 192.0.2.7#4711/key tsig.example. " +
      "(example.com): query: example.com IN SOA -E(0)STDV (192.0.2.1)",
    want: {
      kind: "query",
      clientIp: "192.0.2.7",
      clientPort: 4711,
      signed: true,
      tcp: true,
      dnssecOk: true,
      cookie: "V",
      recursionDesired: false,
    },
  },
  // --- time formats and syslog ---
  {
    name: "iso8601",
    line: `2026-11-25T20:43:16.780 ${Q}`,
    want: { kind: "query", time: T, zoned: false },
  },
  {
    name: "iso8601-utc",
    line: `2026-11-25T20:43:16.780Z ${Q}`,
    want: { kind: "query", time: T, zoned: true },
  },
  {
    name: "syslog RFC 3164, space-padded day",
    line: `Mar  4 10:00:00 dns1 named[123]: ${Q}`,
    want: { kind: "query", time: Date.UTC(2000, 2, 4, 10), yearless: true, zoned: false },
  },
  {
    name: "journal",
    line: `Jun 07 16:37:50 dns1 named[413848]: ${Q}`,
    want: { kind: "query", time: Date.UTC(2000, 5, 7, 16, 37, 50), yearless: true },
  },
  {
    name: "rsyslog RFC 3339",
    line: `2023-01-03T15:40:57.342123+01:00 dns1 named[123]: ${Q}`,
    want: { kind: "query", time: Date.UTC(2023, 0, 3, 14, 40, 57, 342), zoned: true },
  },
  {
    name: "<PRI> network syslog",
    line: `<30>Mar 11 10:00:00 dns1 named[123]: ${Q}`,
    want: { kind: "query", time: Date.UTC(2000, 2, 11, 10), yearless: true },
  },
  {
    name: "double timestamp with category and severity: BIND time wins",
    line: `Mar  4 10:00:00 dns1 named[123]: 25-Nov-2026 20:43:16.780 queries: info: ${Q}`,
    want: { kind: "query", time: T, yearless: false, zoned: false },
  },
  {
    name: "category and severity in a file channel",
    line: `25-Nov-2026 20:43:16.780 queries: info: ${Q}`,
    want: { kind: "query", clientIp: "127.0.0.10" },
  },
  {
    name: "severity only",
    line: `25-Nov-2026 20:43:16.780 info: ${Q}`,
    want: { kind: "query", qname: "youtube.com" },
  },
  {
    name: "query-errors with debug 3",
    line: "25-Nov-2026 20:17:27.260 query-errors: debug 3: client @0x7fc77249b098 " +
      "127.0.0.2#52536 (google.com): query failed (REFUSED) for google.com/IN/A at query.c:5708",
    want: { kind: "error", reason: "REFUSED", qname: "google.com", qtype: "A" },
  },
  {
    name: "trailing \\r is ignored",
    line: `25-Nov-2026 20:43:16.780 ${Q}\r`,
    want: { kind: "query", serverIp: "127.0.0.1" },
  },
  // --- client prefix variants ---
  {
    name: "view name with spaces and colons",
    line: "25-Nov-2026 20:31:42.716 client @0x7fc4c001c098 127.0.0.7#34756 (www.x.home): " +
      "view my view: a:b: query: www.x.home IN A +E(0)K (127.0.0.1)",
    want: { kind: "query", view: "my view: a:b", qname: "www.x.home" },
  },
  {
    name: "IPv6 client with ECS v6",
    line: "25-Nov-2026 20:16:21.788 client @0x7f843d033c98 ::1#44618 (www.youtube.com): query: " +
      "www.youtube.com IN AAAA +E(0)K (::1) [ECS 2c0f:fe38::/32/0]",
    want: { kind: "query", clientIp: "::1", clientPort: 44618, serverIp: "::1" },
  },
  {
    name: "IPv6 %zone is removed",
    line: "25-Nov-2026 20:16:21.788 client @0x7f843d033c98 fe80::1%2#53 (a.lan): query: " +
      "a.lan IN A + (fe80::53)",
    want: { kind: "query", clientIp: "fe80::1", clientPort: 53 },
  },
  {
    name: "v4-mapped client",
    line: "25-Nov-2026 20:16:21.788 client @0x7f843d033c98 ::ffff:192.0.2.1#1234 (a.lan): query: " +
      "a.lan IN A + (::ffff:192.0.2.53)",
    want: { kind: "query", clientIp: "::ffff:192.0.2.1", clientPort: 1234 },
  },
  {
    name: "(qname) with \\)",
    line: "25-Nov-2026 20:16:21.788 client @0X7F843D033C98 127.0.0.1#1 (x\\(1\\).google.com): " +
      "query: x\\(1\\).google.com IN A +E(0)K (127.0.0.1)",
    want: { kind: "query", qname: "x\\(1\\).google.com" },
  },
  {
    name: "pointer without 0x",
    line:
      "25-Nov-2026 20:16:21.788 client @7f843d033c98 127.0.0.1#1 (a.b): query: a.b IN A + (::1)",
    want: { kind: "query", clientIp: "127.0.0.1" },
  },
  {
    name: "(no-peer) is rejected: there is no address to store",
    line:
      "25-Nov-2026 20:16:21.788 client @0x7f843d033c98 (no-peer) (a.b): query: a.b IN A + (::1)",
    want: { kind: "rejected", reason: "no_peer" },
  },
  {
    name: "9.9 pointer-only peer is rejected as no_peer",
    line: "28-Feb-2013 15:05:32.863 client @0x7f843d033c98 (a.b): query: a.b IN A + (::1)",
    want: { kind: "rejected", reason: "no_peer" },
  },
  // --- the other kinds ---
  {
    name: "rate-limit error response (query-errors copy)",
    line: "25-Nov-2026 20:44:46.700 client @0x7ff7f8645098 127.0.0.10#57724 (pttpdh.dead.co.ug): " +
      "view internal: rate limit drop failure error response to 127.0.0.0/24",
    want: { kind: "ratelimit", action: "drop", reason: "failure", qname: "pttpdh.dead.co.ug" },
  },
  {
    name: "rate-limit category copy is other",
    line: "25-Nov-2026 20:44:40.424 rate-limit: info: client @0x7ff7f5b1d098 127.0.0.12#36077 " +
      "(x.co.ug): view internal: rate limit slip SERVFAIL error response to 127.0.0.0/24",
    want: { kind: "other" },
  },
  {
    name: "RRL ordinary response line is other",
    line: "25-Nov-2026 20:44:40.424 rate-limit: info: client @0x7ff7f5b1d098 127.0.0.12#36077 " +
      "(youtube.com): view internal: rate limit slip response to 127.0.0.0/24 for youtube.com " +
      "IN A  (c6f21449)",
    want: { kind: "other" },
  },
  {
    name: "9.20.3 response line",
    line: "25-Nov-2026 20:44:40.424 responses: info: client @0x7ff7f5b1d098 127.0.0.12#36077 " +
      "(example.com): response: example.com IN A NXDOMAIN 0 1 0 +E(0)K (127.0.0.1)",
    want: {
      kind: "response",
      rcode: "NXDOMAIN",
      answerCount: 0,
      authorityCount: 1,
      additionalCount: 0,
      flags: "+E(0)K",
      serverIp: "127.0.0.1",
    },
  },
  {
    name: "response line without category, with ECS",
    line: "25-Nov-2026 20:44:40.424 client @0x7ff7f5b1d098 ::1#3 (e.com): response: e.com IN " +
      "HTTPS NOERROR 2 0 1 +E(0)STDCK (::1) [ECS 2c0f:fe38::/32/0]",
    want: { kind: "response", rcode: "NOERROR", answerCount: 2, qtype: "HTTPS" },
  },
  {
    name: "security category",
    line: "25-Nov-2026 20:43:17.064 security: info: client @0x7fd4b7b2fc98 127.0.0.14#37715 " +
      "(youtube.com): query (cache) 'youtube.com/A/IN' denied (allow-query-cache did not match)",
    want: { kind: "other" },
  },
  {
    name: "security message without category, in a view",
    line: "25-Nov-2026 20:43:17.064 client @0x7fd4b7b2fc98 127.0.0.14#37715 (youtube.com): " +
      "view external: query (cache) 'youtube.com/A/IN' denied",
    want: { kind: "other" },
  },
  {
    name: "general",
    line: "25-Nov-2026 20:43:16.248 general: notice: running",
    want: { kind: "other" },
  },
  {
    name: "lame-servers (no client prefix)",
    line: "25-Nov-2026 20:43:16.248 lame-servers: info: REFUSED unexpected RCODE resolving " +
      "'x.com/A/IN': 192.0.2.1#53",
    want: { kind: "other" },
  },
  {
    name: "fetch completed in query-errors",
    line: "25-Nov-2026 20:43:16.248 query-errors: debug 4: fetch completed for x.com/A in " +
      "0.001234: success/success [domain:x.com,referral:0]",
    want: { kind: "other" },
  },
  {
    name: "plain message after a time",
    line: "25-Nov-2026 20:43:16.248 all zones loaded",
    want: { kind: "other" },
  },
  // --- rejects ---
  { name: "empty", line: "", want: { kind: "rejected", reason: "unrecognized" } },
  { name: "random text", line: "hello world", want: { kind: "rejected", reason: "unrecognized" } },
  {
    name: "binary",
    line: "\u0001\u0002\ufffd\u00ff",
    want: { kind: "rejected", reason: "unrecognized" },
  },
  { name: "digits", line: "12345 foo bar", want: { kind: "rejected", reason: "unrecognized" } },
  {
    name: "broken <PRI>",
    line: "<x>Mar 11 10:00:00 h named[1]: hi",
    want: { kind: "rejected", reason: "unrecognized" },
  },
  { name: "client line without time", line: Q, want: { kind: "rejected", reason: "no_timestamp" } },
  {
    name: "category without time",
    line: `queries: info: ${Q}`,
    want: { kind: "rejected", reason: "no_timestamp" },
  },
  {
    name: "31 Feb",
    line: `31-Feb-2026 20:43:16.780 ${Q}`,
    want: { kind: "rejected", reason: "bad_timestamp" },
  },
  {
    name: "month 13",
    line: `2026-13-25T20:43:16.780 ${Q}`,
    want: { kind: "rejected", reason: "bad_timestamp" },
  },
  {
    name: "query with no type",
    line: "25-Nov-2026 20:43:16.780 client @0x7f 127.0.0.1#1 (a.b): query: a.b IN",
    want: { kind: "rejected", reason: "bad_query" },
  },
  {
    name: "query with a broken flag",
    line: "25-Nov-2026 20:43:16.780 client @0x7f 127.0.0.1#1 (a.b): query: a.b IN A +E(0)X (::1)",
    want: { kind: "rejected", reason: "bad_query" },
  },
  {
    name: "peer without port",
    line: "25-Nov-2026 20:43:16.780 client @0x7f 127.0.0.1 (a.b): query: a.b IN A + (::1)",
    want: { kind: "rejected", reason: "bad_client" },
  },
  {
    name: "query failed without file:line",
    line: "25-Nov-2026 20:43:16.780 client @0x7f 127.0.0.1#1 (a.b): query failed (REFUSED) for a.b",
    want: { kind: "rejected", reason: "bad_error" },
  },
  {
    name: "response with a non-numeric count",
    line: "25-Nov-2026 20:43:16.780 client @0x7f ::1#3 (e.com): response: e.com IN A NOERROR x 0 " +
      "1 +E(0)K (::1)",
    want: { kind: "rejected", reason: "bad_response" },
  },
];

for (const c of CASES) {
  Deno.test(`parseBindLine: ${c.name}`, () => {
    const got = parseBindLine(c.line) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(c.want)) {
      assert.deepEqual(got[key], value, `${key} of ${JSON.stringify(got)}`);
    }
  });
}

Deno.test("parseBindLine never throws on odd input", () => {
  const odd = ["\r", " ", "<", "<1>", "25-", "client ", "client @", "client @0x1 #", "(", "\\"];
  for (let n = 0; n < 2000; n++) {
    odd.push(
      Array.from({ length: n % 120 }, () => String.fromCharCode(32 + (n * 7919) % 95)).join(""),
    );
  }
  const base = `Mar  4 10:00:00 dns1 named[123]: 25-Nov-2026 20:43:16.780 queries: info: ${Q}`;
  for (let i = 0; i <= base.length; i++) odd.push(base.slice(0, i), base.slice(i));
  for (const line of odd) {
    const r = parseBindLine(line);
    assert(["query", "error", "ratelimit", "response", "other", "rejected"].includes(r.kind));
  }
});
