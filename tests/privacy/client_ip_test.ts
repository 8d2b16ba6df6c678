import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ClientKeyError,
  createClientTransform,
  formatAddress,
  pseudonymOf,
  readClientKey,
} from "../../lib/privacy/client_ip.ts";

const KEY = new TextEncoder().encode("0123456789abcdef0123456789abcdef");
const OTHER = new TextEncoder().encode("fedcba9876543210fedcba9876543210");

Deno.test("truncate: IPv4 to /24 and IPv6 to /56 by default, as host addresses", () => {
  const t = createClientTransform({ mode: "truncate" });
  assert.equal(t.text("192.168.238.77"), "192.168.238.0");
  assert.equal(t.text("10.10.10.250"), "10.10.10.0");
  assert.equal(t.text("2001:db8:abcd:12ff:1:2:3:4"), "2001:db8:abcd:1200::");
  assert.equal(t.text("::1"), "::");
  assert.equal(t.text("not an address"), null);
});

Deno.test("truncate: other prefix lengths, also ones that cut inside a byte", () => {
  const t = createClientTransform({ mode: "truncate", prefix4: 20, prefix6: 48 });
  assert.equal(t.text("192.168.238.77"), "192.168.224.0");
  assert.equal(t.text("2001:db8:abcd:12ff::1"), "2001:db8:abcd::");
  const none = createClientTransform({ mode: "truncate", prefix4: 0, prefix6: 0 });
  assert.equal(none.text("203.0.113.9"), "0.0.0.0");
  const all = createClientTransform({ mode: "truncate", prefix4: 32, prefix6: 128 });
  assert.equal(all.text("203.0.113.9"), "203.0.113.9");
});

Deno.test("truncate: a client-supplied ECS subnet is cut to at most the prefix", () => {
  const t = createClientTransform({ mode: "truncate", prefix4: 24, prefix6: 56 });
  assert.equal(t.subnet("41.210.128.77/32"), "41.210.128.0/24");
  assert.equal(t.subnet("41.210.0.0/16"), "41.210.0.0/16");
  assert.equal(t.subnet("2c0f:fe38:2000::/40"), "2c0f:fe38:2000::/40");
  assert.equal(t.subnet("2c0f:fe38:2000:1234::/64"), "2c0f:fe38:2000:1200::/56");
  assert.equal(createClientTransform({ mode: "hash", key: KEY }).subnet("41.210.0.0/16"), null);
  assert.equal(createClientTransform({ mode: "full" }).subnet("41.210.0.0/16"), "41.210.0.0/16");
});

Deno.test("hash: pseudonyms in 100::/64, stable per key, different per key and address", () => {
  const a = createClientTransform({ mode: "hash", key: KEY });
  const b = createClientTransform({ mode: "hash", key: KEY }); // another node, same key
  const c = createClientTransform({ mode: "hash", key: OTHER }); // after a key rotation
  const p = a.text("192.168.238.10")!;
  assert.match(p, /^100::([0-9a-f]{1,4}:){3}[0-9a-f]{1,4}$/);
  assert.equal(b.text("192.168.238.10"), p);
  assert.equal(pseudonymOf(KEY, "192.168.238.10"), p);
  assert.notEqual(c.text("192.168.238.10"), p);
  assert.notEqual(a.text("192.168.238.11"), p);
  // IPv4 and the IPv4-mapped IPv6 form are different inputs (family is hashed in).
  assert.notEqual(a.text("::ffff:192.168.238.10"), p);
  // Distinct addresses stay distinct: unique-client counts are kept.
  const seen = new Set<string>();
  for (let i = 0; i < 4096; i++) seen.add(a.text(`10.${i >> 8}.${i & 255}.1`)!);
  assert.equal(seen.size, 4096);
});

Deno.test("hash: in-place bytes give the same pseudonym as text", () => {
  const t = createClientTransform({ mode: "hash", key: KEY });
  const b = new Uint8Array(16);
  b.set([127, 0, 0, 10]);
  assert.equal(t.bytes(b, 4), 6);
  assert.equal(formatAddress(b, 6), t.text("127.0.0.10"));
});

Deno.test("hash needs a key of at least 16 bytes", () => {
  assert.throws(() => createClientTransform({ mode: "hash" }), ClientKeyError);
  assert.throws(
    () => createClientTransform({ mode: "hash", key: new Uint8Array(8) }),
    ClientKeyError,
  );
});

Deno.test("readClientKey: white space around the key is not part of it; errors name the key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "key");
    await Deno.writeTextFile(file, "0123456789abcdef0123456789abcdef\n");
    assert.deepEqual(readClientKey(file), KEY);
    await Deno.writeTextFile(file, "short\n");
    assert.throws(() => readClientKey(file), /DNSA_CLIENT_IP_KEY_FILE.*5 bytes/);
    assert.throws(
      () => readClientKey(join(dir, "missing")),
      /DNSA_CLIENT_IP_KEY_FILE.*no such file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("formatAddress: RFC 5952 text", () => {
  const b = (...xs: number[]) => Uint8Array.from(xs);
  assert.equal(formatAddress(b(10, 0, 0, 1), 4), "10.0.0.1");
  assert.equal(formatAddress(b(...new Array(15).fill(0), 1), 6), "::1");
  assert.equal(formatAddress(new Uint8Array(16), 6), "::");
  assert.equal(
    formatAddress(b(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1), 6),
    "2001:db8::1:0:0:1",
  );
  assert.equal(
    formatAddress(b(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1), 6),
    "2001:db8:1:1:1:1:1:1",
  );
});
