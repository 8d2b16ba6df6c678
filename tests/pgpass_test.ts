import assert from "node:assert/strict";
import { join } from "node:path";
import { matchPgpass, parsePgpassLine, pgpassPassword } from "../lib/pgpass.ts";
import { describePeer, peerErrorText } from "../lib/federation/peer.ts";

const target = { host: "10.10.10.250", port: 5432, database: "dns_analytics", user: "dns_reader" };

Deno.test("pgpass lines: fields, escapes, comments", () => {
  assert.deepEqual(parsePgpassLine("h:5432:db:u:p\\:w\\\\d"), ["h", "5432", "db", "u", "p:w\\d"]);
  assert.deepEqual(parsePgpassLine("h:5432:db:u:a:b"), ["h", "5432", "db", "u", "a:b"]);
  assert.equal(parsePgpassLine("# comment"), null);
  assert.equal(parsePgpassLine("h:5432:db"), null);
});

Deno.test("pgpass: first matching line wins, * matches anything", () => {
  const text = [
    "192.168.238.128:5432:dns_analytics:dns_reader:other",
    "10.10.10.250:*:dns_analytics:dns_reader:right",
    "*:*:*:*:fallback",
  ].join("\n");
  assert.equal(matchPgpass(text, target), "right");
  assert.equal(matchPgpass(text, { ...target, host: "h" }), "fallback");
  assert.equal(matchPgpass("10.10.10.250:5433:*:*:x", target), null);
});

Deno.test("pgpass file: PGPASSFILE, ignored when others may read it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "pgpass");
    await Deno.writeTextFile(file, "*:*:dns_analytics:dns_reader:s3cret\n");
    await Deno.chmod(file, 0o600);
    assert.equal(await pgpassPassword(target, { env: { PGPASSFILE: file } }), "s3cret");
    await Deno.chmod(file, 0o644);
    assert.equal(await pgpassPassword(target, { env: { PGPASSFILE: file } }), null);
    assert.equal(await pgpassPassword(target, { env: { PGPASSFILE: join(dir, "no") } }), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a peer's errors never carry its password", () => {
  const peer = {
    name: "dns2",
    url: "postgres://dns_reader:S%40cret-99@10.10.10.250/dns_analytics",
    source: "config" as const,
  };
  assert.equal(describePeer(peer), "dns_reader@10.10.10.250:5432/dns_analytics");
  const err = Object.assign(
    new Error("failed for postgres://dns_reader:S@cret-99@10.10.10.250/x and S@cret-99"),
    { code: "28P01" },
  );
  const text = peerErrorText(err, peer);
  assert.ok(!text.includes("S@cret-99"), text);
  assert.match(
    text,
    /^peer "dns2" \(dns_reader@10\.10\.10\.250:5432\/dns_analytics\): .*\[28P01\]$/,
  );
});
