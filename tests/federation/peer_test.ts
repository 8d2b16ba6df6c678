/**
 * A peer's connection string taken apart (for postgres_fdw's server options and for
 * messages), and the statistics tables federation copies: every table the rollup writes.
 */
import assert from "node:assert/strict";
import { describePeer, urlParts } from "../../lib/federation/peer.ts";
import { FEDERATED_TABLES } from "../../lib/federation/sql.ts";
import { STATISTICS_TABLES } from "../../lib/rollup/rollup.ts";

Deno.test("peer URLs: decoded parts, defaults, IPv6 hosts", () => {
  assert.deepEqual(urlParts("postgres://dns%20ro:p%40ss@dns2.example:5433/dns_an"), {
    host: "dns2.example",
    port: 5433,
    database: "dns_an",
    user: "dns ro",
    password: "p@ss",
  });
  assert.deepEqual(urlParts("postgresql://[2001:db8::2]"), {
    host: "2001:db8::2",
    port: 5432,
    database: "postgres",
    user: "postgres",
    password: "",
  });
  const peer = { name: "dns2", url: "postgres://u:secret@h:5432/d", source: "config" as const };
  assert.equal(describePeer(peer), "u@h:5432/d");
});

Deno.test("federation copies every statistics table but the one it derives", () => {
  const copied = FEDERATED_TABLES.map((t) => t.table).sort();
  const derived = STATISTICS_TABLES.filter((t) => !copied.includes(t));
  assert.deepEqual(derived, ["dns_domains_seen"]);
  for (const t of FEDERATED_TABLES) {
    assert.equal(t.by, t.table.startsWith("dns_hourly_") ? "hourly" : "daily", t.table);
    assert.ok(t.read.length > 0 && t.insert.length > 0);
  }
});
