/** normalizeDomain (the binding escape/case contract) and apexDomain (the apex rules). */

import assert from "node:assert/strict";
import { apexDomain, normalizeDomain } from "../lib/domain.ts";

const NORMALIZE: [string, string][] = [
  // fast path: returned as is
  ["www.google.com", "www.google.com"],
  ["_ldap._tcp.dc._msdcs.corp.example", "_ldap._tcp.dc._msdcs.corp.example"],
  ["*.cdn.whatsapp.net", "*.cdn.whatsapp.net"],
  [".", "."],
  ["", ""],
  // case and trailing dot (real fixture names)
  ["wwW.gOOGle.COm", "www.google.com"],
  ["mTN.CO.ug", "mtn.co.ug"],
  ["example.com.", "example.com"],
  ["Example.COM.", "example.com"],
  // printable escapes decoded
  ["user\\@x.google.com", "user@x.google.com"],
  ["x\\(1\\).google.com", "x(1).google.com"],
  ["back\\\\slash.apple.com", "back\\slash.apple.com"],
  ['say\\"hi.youtube.com', 'say"hi.youtube.com'],
  ["a\\;b.youtube.com", "a;b.youtube.com"],
  ["my\\032tv.netflix.com", "my tv.netflix.com"],
  ["\\065BC.com", "abc.com"],
  ["X\\Y.com", "xy.com"],
  // UTF-8 from consecutive \DDD bytes
  ["caf\\195\\169.example.co.ug", "café.example.co.ug"],
  ["\\208\\188\\209\\130\\208\\189.mtn.co.ug", "мтн.mtn.co.ug"],
  ["\\240\\159\\146\\169.ws", "💩.ws"],
  // kept escaped: not storable, not printable, or a dot inside a label
  ["a\\000b.com", "a\\000b.com"],
  ["a\\001\\031\\127.com", "a\\001\\031\\127.com"],
  ["bad\\255.com", "bad\\255.com"],
  ["half\\195.com", "half\\195.com"],
  ["overlong\\192\\175.com", "overlong\\192\\175.com"],
  ["surrogate\\237\\160\\128.com", "surrogate\\237\\160\\128.com"],
  ["mixed\\195\\169\\255.com", "mixedé\\255.com"],
  ["a\\.b.example.com", "a\\.b.example.com"],
  ["a\\046b.example.com.", "a\\.b.example.com"],
  ["end\\.", "end\\."],
  // odd input never throws
  ["dangling\\", "dangling\\"],
  ["\\999.com", "999.com"],
  ["\\12x.com", "12x.com"],
];

for (const [input, want] of NORMALIZE) {
  Deno.test(`normalizeDomain(${JSON.stringify(input)})`, () => {
    assert.equal(normalizeDomain(input), want);
  });
}

Deno.test("normalizeDomain: the fast path returns the same string", () => {
  const s = "www.codeandcore.home";
  assert.equal(normalizeDomain(s), s);
});

const APEX: [string, string][] = [
  ["www.google.com", "google.com"],
  ["google.com", "google.com"],
  ["bbc.co.uk", "bbc.co.uk"],
  ["news.bbc.co.uk", "bbc.co.uk"],
  ["mtn.co.ug", "mtn.co.ug"],
  ["b5cork11cy.mtn.co.ug", "mtn.co.ug"],
  ["example.co.tz", "example.co.tz"],
  ["r9---sn-7t5ppddp.googlevideo.youtube.com", "youtube.com"],
  ["_dns.resolver.arpa", "resolver.arpa"],
  ["_ldap._tcp.dc._msdcs.example.com", "example.com"],
  ["*.cdn.whatsapp.net", "whatsapp.net"],
  ["user@x.google.com", "google.com"],
  ["my tv.netflix.com", "netflix.com"],
  ["café.example.co.ug", "example.co.ug"],
  // public suffix list, ICANN section only (no private entries such as github.io)
  ["foo.github.io", "github.io"],
  // reverse zones
  ["8.8.8.8.in-addr.arpa", "8.8.8.in-addr.arpa"],
  ["10.238.168.192.in-addr.arpa", "238.168.192.in-addr.arpa"],
  ["_dns-sd._udp.1.168.192.in-addr.arpa", "1.168.192.in-addr.arpa"],
  ["238.168.192.in-addr.arpa", "238.168.192.in-addr.arpa"],
  ["168.192.in-addr.arpa", "168.192.in-addr.arpa"],
  ["in-addr.arpa", "in-addr.arpa"],
  [
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
    "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
  ],
  ["8.b.d.0.1.0.0.2.ip6.arpa", "8.b.d.0.1.0.0.2.ip6.arpa"],
  ["ip6.arpa", "ip6.arpa"],
  // private names
  ["www.codeandcore.home", "codeandcore.home"],
  ["codeandcore.home", "codeandcore.home"],
  ["nas.x.home.arpa", "x.home.arpa"],
  ["home.arpa", "home.arpa"],
  ["printer.local", "printer.local"],
  ["a.printer.local", "printer.local"],
  ["router.lan", "router.lan"],
  ["db.svc.internal", "svc.internal"],
  ["a.b.corp", "b.corp"],
  // single labels, root, bare suffixes
  ["wpad", "wpad"],
  ["xyccmwhx", "xyccmwhx"],
  ["localhost", "localhost"],
  [".", "."],
  ["", ""],
  ["co.uk", "co.uk"],
  ["com", "com"],
  ["co.ug", "co.ug"],
  // tolerated input: trailing dot, odd labels
  ["www.google.com.", "google.com"],
  ["a..b.com", "b.com"],
];

for (const [input, want] of APEX) {
  Deno.test(`apexDomain(${JSON.stringify(input)})`, () => {
    assert.equal(apexDomain(input), want);
  });
}

Deno.test("apexDomain never throws on odd input", () => {
  for (const s of ["..", "...", "a.", ".a", "\\", "a\\.b.com", "1.2.3.4", "-.-", "\u0000.x"]) {
    assert.equal(typeof apexDomain(s), "string");
  }
});
