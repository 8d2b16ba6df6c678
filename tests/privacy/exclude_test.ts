import assert from "node:assert/strict";
import { ExcludeListError, parseClientList, parseDomainList } from "../../lib/privacy/exclude.ts";

Deno.test("client list: addresses and CIDRs of both families", () => {
  const l = parseClientList("192.0.2.10, 198.51.100.0/24 2001:db8:1::/48,10.0.0.0/9");
  assert.equal(l.size, 4);
  assert.ok(l.hasText("192.0.2.10"));
  assert.ok(!l.hasText("192.0.2.11"));
  assert.ok(l.hasText("198.51.100.255"));
  assert.ok(!l.hasText("198.51.101.0"));
  assert.ok(l.hasText("2001:db8:1:ffff::5"));
  assert.ok(!l.hasText("2001:db8:2::5"));
  assert.ok(l.hasText("10.127.0.1"));
  assert.ok(!l.hasText("10.128.0.1"));
  assert.ok(!l.hasText("garbage"));
  assert.equal(parseClientList(undefined).size, 0);
  assert.ok(parseClientList("0.0.0.0/0").hasText("203.0.113.1"));
});

Deno.test("client list: a bad entry is an error that names the key", () => {
  for (const bad of ["192.0.2.0/33", "2001:db8::/129", "host.example", "192.0.2.0/x", "1.2.3"]) {
    assert.throws(() => parseClientList(bad), ExcludeListError, bad);
    assert.throws(() => parseClientList(bad), /DNSA_EXCLUDE_CLIENTS/);
  }
});

Deno.test("domain list: exact names and *.suffix (the suffix and everything below)", () => {
  const l = parseDomainList("Health.Example.COM., *.probe.example.net");
  assert.ok(l.has("health.example.com"));
  assert.ok(!l.has("www.health.example.com"));
  assert.ok(l.has("probe.example.net"));
  assert.ok(l.has("a.b.probe.example.net"));
  assert.ok(!l.has("xprobe.example.net"));
  assert.ok(!l.has("example.net"));
  assert.throws(() => parseDomainList("a.*.example"), /DNSA_EXCLUDE_DOMAINS/);
});
