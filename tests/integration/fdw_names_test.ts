/**
 * postgres_fdw peer labels fold to schema names (lower case, other characters as '_'): two
 * peers whose labels fold alike (dns-2 and dns_2) must not share, or drop, one route. The
 * second is refused with a message naming both; the first keeps its schema and can be set up
 * again.
 */
import assert from "node:assert/strict";
import { createTestDb } from "./pg.ts";

Deno.test("federation fdw: peers dns-2 and dns_2 do not fold into one schema, nor drop each other", async () => {
  const local = await createTestDb(), peer = await createTestDb();
  try {
    for (const db of [local, peer]) {
      const m = await db.run(["migrate"]);
      assert.equal(m.code, 0, m.stderr);
    }
    const env = { DNSA_NODE: "dns1", DNSA_PEERS: `dns-2=${peer.url},dns_2=${peer.url}` };
    const first = await local.run(["federate", "--setup-fdw", "dns-2"], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json?.schema, "peer_dns_2");
    const tables = async () =>
      (await local.sql`
        select count(*)::int as n from pg_class c join pg_namespace ns on ns.oid = c.relnamespace
        where ns.nspname = 'peer_dns_2' and c.relkind = 'f'`)[0].n;
    const before = await tables();
    assert.ok(before > 0);

    const second = await local.run(["federate", "--setup-fdw", "dns_2"], env);
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      /fdw peer "dns_2" would use schema peer_dns_2, which is the route of peer "dns-2"/,
    );
    assert.equal(await tables(), before, "dns-2's route is still there");
    const [c] = await local.sql`select obj_description('peer_dns_2'::regnamespace) as d`;
    assert.equal(c.d, "dns-analytics postgres_fdw route of peer dns-2");

    const again = await local.run(["federate", "--setup-fdw", "dns-2"], env);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    await local.drop();
    await peer.drop();
  }
});
