/**
 * The postgres_fdw route (`federate --setup-fdw`) reads named's server counters too: the view
 * dns_server_counters_all holds this node's minutes and the peer's, each once, also after a
 * pull; a peer without the table (set up before it existed) adds none and the setup works.
 */
import assert from "node:assert/strict";
import { nodeIdOf } from "../../lib/context.ts";
import { storeServerSample } from "../../lib/server_stats/collect.ts";
import { createTestDb, type TestDb } from "./pg.ts";

const T0 = Date.parse("2026-11-25T20:00:10Z");

/**
 * `node` registered (as serve registers it) and two readings of its named's counters: one
 * stored minute with `nx` NXDOMAIN.
 */
async function counters(db: TestDb, node: string, nx: number): Promise<void> {
  await nodeIdOf(db.sql, node);
  const boot = new Date(T0 - 3_600_000);
  for (const [at, n] of [[T0, 100], [T0 + 60_000, 100 + nx]]) {
    await storeServerSample(db.sql, {
      sampledAt: new Date(at),
      bootTime: boot,
      counters: { "rcode.NXDOMAIN": n, "ns.Requestv4": 10 * n, "ns.Response": 10 * n },
    }, { node, tz: "UTC" });
  }
}

Deno.test({
  name: "federation: dns_server_counters_all through postgres_fdw, each node's minutes once",
  ignore: !Deno.env.get("DNSA_TEST_DATABASE_URL"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const d1 = await createTestDb(), d2 = await createTestDb();
  try {
    for (const [db, node] of [[d1, "dns1"], [d2, "dns2"]] as const) {
      const m = await db.run(["migrate"], { DNSA_NODE: node });
      assert.equal(m.code, 0, m.stderr);
    }
    await counters(d1, "dns1", 17);
    await counters(d2, "dns2", 40);
    const peers = { DNSA_NODE: "dns1", DNSA_PEERS: `dns2=${d2.url}` };
    const setup = await d1.run(["federate", "--setup-fdw", "dns2"], peers);
    assert.equal(setup.code, 0, setup.stderr);
    assert.ok((setup.json?.views as string[]).includes("dns_server_counters_all"));
    const viaFdw = async () =>
      [
        ...await d1.sql`select node_name, sum(nxdomain_count)::int as nx, count(*)::int as minutes
        from dns_server_counters_all group by 1 order by 1`,
      ].map((r) => ({ ...r }));
    const expected = [
      { node_name: "dns1", nx: 17, minutes: 1 },
      { node_name: "dns2", nx: 40, minutes: 1 },
    ];
    assert.deepEqual(await viaFdw(), expected);
    // A pull copies dns2's counters here as well: the view still counts them once.
    const fed = await d1.run(["federate"], peers);
    assert.equal(fed.code, 0, fed.stderr);
    const [pulled] = await d1.sql`
      select count(*)::int as n from dns_server_counters where node_name = 'dns2'`;
    assert.equal(pulled.n, 1);
    assert.deepEqual(await viaFdw(), expected);

    // A peer whose database has no dns_server_counters (an older dns-analytics): the setup
    // still makes every view, and the counters' view holds this node's minutes only.
    await d2.sql`drop table dns_server_counters cascade`;
    const again = await d1.run(["federate", "--setup-fdw", "dns2"], peers);
    assert.equal(again.code, 0, again.stderr);
    const [{ n }] = await d1.sql`select count(*)::int as n from dns_server_counters_all`;
    const [{ local }] = await d1.sql`select count(*)::int as local from dns_server_counters`;
    assert.equal(n, local);
  } finally {
    await d1.drop();
    await d2.drop();
  }
});
