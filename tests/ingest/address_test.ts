import assert from "node:assert/strict";
import { ipv4Bytes, ipv6Bytes, isIpAddress, isSubnet } from "../../lib/ingest/address.ts";

const v6 = (s: string) => {
  const out = new Uint8Array(16);
  return ipv6Bytes(s, out, 0)
    ? [...out].map((b) => b.toString(16).padStart(2, "0")).join("")
    : null;
};

Deno.test("IPv4 addresses to bytes", () => {
  const out = new Uint8Array(4);
  assert.ok(ipv4Bytes("192.168.238.128", out, 0));
  assert.deepEqual([...out], [192, 168, 238, 128]);
  for (const bad of ["256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "", "1.2.3.4 "]) {
    assert.ok(!ipv4Bytes(bad, out, 0), bad);
  }
});

Deno.test("IPv6 addresses to bytes in every text form", () => {
  assert.equal(v6("::1"), "00000000000000000000000000000001");
  assert.equal(v6("::"), "00000000000000000000000000000000");
  assert.equal(v6("2001:db8::1"), "20010db8000000000000000000000001");
  assert.equal(v6("fe80::1:2"), "fe800000000000000000000000010002");
  assert.equal(v6("2c0f:fe38:2000::"), "2c0ffe38200000000000000000000000");
  assert.equal(v6("::ffff:1.2.3.4"), "00000000000000000000ffff01020304");
  assert.equal(v6("1:2:3:4:5:6:7:8"), "00010002000300040005000600070008");
  assert.equal(v6("1:2:3:4:5:6:1.2.3.4"), "00010002000300040005000601020304");
  assert.equal(v6("FD00:238::2A"), "fd00023800000000000000000000002a");
  for (
    const bad of ["1::2::3", ":1", "1:", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1.2.3.4", ":::"]
  ) {
    assert.equal(v6(bad), null, bad);
  }
});

Deno.test("addresses and subnets", () => {
  assert.ok(isIpAddress("127.0.0.1") && isIpAddress("::1"));
  assert.ok(!isIpAddress("localhost"));
  assert.ok(isSubnet("41.210.128.0/24") && isSubnet("2c0f:fe38:2000::/40"));
  assert.ok(!isSubnet("41.210.128.0/33") && !isSubnet("::/129") && !isSubnet("x/8"));
});
