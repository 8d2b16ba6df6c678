/**
 * The `query: …` body: flags in every version's order, classes, TYPEnnn, names with escapes,
 * root, the 249-character name, ECS, and malformed bodies.
 */

import assert from "node:assert/strict";
import { parseBindClient } from "../../lib/parse/bind_client.ts";
import { parseBindPrefix } from "../../lib/parse/bind_prefix.ts";
import {
  decodeQueryFlags,
  FLAG_CD,
  FLAG_COOKIE_OTHER,
  FLAG_COOKIE_VALID,
  FLAG_DO,
  FLAG_EDNS,
  FLAG_RD,
  FLAG_SIGNED,
  FLAG_TCP,
  parseQueryMessage,
} from "../../lib/parse/bind_query.ts";
import type { ParsedLine } from "../../lib/parse/types.ts";

const HEAD = "25-Nov-2026 20:43:17.840 client @0x7fd4ba26d098 127.0.0.10#54124 (x): ";

/** Run the real prefix and client parsers, then the query parser on `body`. */
function parseBody(body: string): ParsedLine {
  const line = HEAD + body;
  const prefix = parseBindPrefix(line);
  assert(!("kind" in prefix));
  const head = parseBindClient(line, prefix);
  assert(!("kind" in head));
  return parseQueryMessage(line, head);
}

const LONG = "z23456789012345678901234567890123456789012345678901234567890123." +
  "y23456789012345678901234567890123456789012345678901234567890123." +
  "x23456789012345678901234567890123456789012345678901234567890123." +
  "w2345678901234567890123456789012345678901234.whatsapp.net";

const CASES: { body: string; want: Record<string, unknown> }[] = [
  // flags: observed 9.18 set
  {
    body: "google.com IN A + (127.0.0.1)",
    want: { flags: "+", recursionDesired: true, ednsVersion: null, cookie: null, tcp: false },
  },
  { body: "g.com IN A +E(0) (127.0.0.1)", want: { ednsVersion: 0, cookie: null } },
  { body: "g.com IN A +E(1)K (127.0.0.1)", want: { ednsVersion: 1, cookie: "K" } },
  { body: "g.com IN A -E(0)TK (127.0.0.1)", want: { recursionDesired: false, tcp: true } },
  {
    body: "youtube.com IN A +E(0)TDK (127.0.0.1)",
    want: { tcp: true, dnssecOk: true, cookie: "K", checkingDisabled: false },
  },
  { body: "bbc.co.uk IN MX +E(0)CK (127.0.0.1)", want: { checkingDisabled: true, qtype: "MX" } },
  // 9.11 – 9.20.2 order (S before E) and 9.20.3+ order (E before S)
  { body: "a.b IN A +SE(0)TDCV (::1)", want: { signed: true, ednsVersion: 0, cookie: "V" } },
  { body: "a.b IN A +E(0)STDCV (::1)", want: { signed: true, ednsVersion: 0, cookie: "V" } },
  // 9.9 bare E
  { body: "a.b IN A +SETDC (192.0.2.1)", want: { signed: true, ednsVersion: 0, dnssecOk: true } },
  // classes and types as printed
  { body: "version.bind CH TXT +E(0)K (127.0.0.1)", want: { qclass: "CH", qtype: "TXT" } },
  { body: "a.b HS A + (::1)", want: { qclass: "HS" } },
  { body: "a.b NONE A + (::1)", want: { qclass: "NONE" } },
  { body: "a.b ANY ANY + (::1)", want: { qclass: "ANY", qtype: "ANY" } },
  { body: "a.b CLASS7 A + (::1)", want: { qclass: "CLASS7" } },
  { body: "netflix.com IN TYPE1234 +E(0)K (127.0.0.1)", want: { qtype: "TYPE1234" } },
  { body: "a.b IN TYPE65534 + (::1)", want: { qtype: "TYPE65534" } },
  { body: "a.b IN NSAP-PTR + (::1)", want: { qtype: "NSAP-PTR" } },
  { body: "_dns.resolver.arpa IN SVCB +E(0)K (127.0.0.1)", want: { qtype: "SVCB" } },
  { body: "codeandcore.home IN AXFR -E(0)TK (127.0.0.1)", want: { qtype: "AXFR" } },
  // names
  { body: ". IN NS +E(0)K (127.0.0.1)", want: { qname: "." } },
  { body: "a\\;b.youtube.com IN A +E(0)K (127.0.0.1)", want: { qname: "a\\;b.youtube.com" } },
  { body: 'say\\"hi.youtube.com IN A +E(0)K (127.0.0.1)', want: { qname: 'say\\"hi.youtube.com' } },
  {
    body: "my\\032tv.netflix.com IN A +E(0)K (127.0.0.1)",
    want: { qname: "my\\032tv.netflix.com" },
  },
  {
    body: "back\\\\slash.apple.com IN A +E(0)K (127.0.0.1)",
    want: { qname: "back\\\\slash.apple.com" },
  },
  {
    body: "\\208\\188\\209\\130\\208\\189.mtn.co.ug IN A +E(0)K (127.0.0.1)",
    want: { qname: "\\208\\188\\209\\130\\208\\189.mtn.co.ug" },
  },
  { body: "x\\(1\\)#:[2].google.com IN A + (::1)", want: { qname: "x\\(1\\)#:[2].google.com" } },
  { body: "*.cdn.whatsapp.net IN A +E(0)K (127.0.0.1)", want: { qname: "*.cdn.whatsapp.net" } },
  { body: "wwW.gOOGle.COm IN A + (127.0.0.1)", want: { qname: "wwW.gOOGle.COm" } },
  { body: `${LONG} IN A +E(0)K (127.0.0.1)`, want: { qname: LONG } },
  // ECS
  {
    body: "www.youtube.com IN AAAA +E(0)K (127.0.0.1) [ECS 41.210.0.0/16/0]",
    want: { ecsSubnet: "41.210.0.0/16", ecsScope: 0, serverIp: "127.0.0.1" },
  },
  {
    body: "g.whatsapp.net IN A +E(0)K (::1) [ECS 2c0f:fe38:2000::/40/24]",
    want: { ecsSubnet: "2c0f:fe38:2000::/40", ecsScope: 24, serverIp: "::1" },
  },
  // 9.3-era
  { body: "www.example.com IN A", want: { flags: null, serverIp: null, qtype: "A" } },
];

for (const c of CASES) {
  Deno.test(`parseQueryMessage: ${c.body}`, () => {
    const got = parseBody("query: " + c.body) as unknown as Record<string, unknown>;
    assert.equal(got.kind, "query", JSON.stringify(got));
    for (const [key, value] of Object.entries(c.want)) {
      assert.deepEqual(got[key], value, `${key} of ${JSON.stringify(got)}`);
    }
  });
}

const BAD = [
  "",
  "a.b",
  "a.b IN",
  "a.b in A + (::1)x",
  "a.b IN A +E(0 (::1)",
  "a.b IN A +E(x) (::1)",
  "a.b IN A +VK (::1)",
  "a.b IN A +Q (::1)",
  "a.b IN A + (::1) [ECS 1.2.3.0/24]",
  "a.b IN A + (::1) trailing",
  "a.b IN A + (::1",
  " a.b IN A + (::1)",
  "a.b IN A/x + (::1)",
];

for (const body of BAD) {
  Deno.test(`parseQueryMessage rejects ${JSON.stringify(body)}`, () => {
    assert.deepEqual(parseBody("query: " + body), { kind: "rejected", reason: "bad_query" });
  });
}

Deno.test("decodeQueryFlags: bits and EDNS version", () => {
  const f = (s: string) => decodeQueryFlags(s, 0, s.length);
  assert.equal(f("+"), FLAG_RD);
  assert.equal(f("-"), 0);
  assert.equal(f("+E(0)K"), FLAG_RD | FLAG_EDNS | FLAG_COOKIE_OTHER);
  assert.equal(
    f("-SE(1)TDCV"),
    FLAG_SIGNED | FLAG_EDNS | (1 << 8) | FLAG_TCP | FLAG_DO | FLAG_CD |
      FLAG_COOKIE_VALID,
  );
  assert.equal(f("+E") >>> 8, 0);
  assert.equal(f("+E(255)") >>> 8, 255);
  assert.equal(f("+E(256)"), -1);
  assert.equal(f("E"), -1);
  assert.equal(f("+EE"), -1);
});
