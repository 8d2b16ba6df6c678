/**
 * Federation does not trust a peer's rows: a compromised peer (here a real PostgreSQL
 * database whose to_jsonb is replaced, so its rows say what it likes) cannot write statistics
 * for this node or for days it does not list, and a chunk of its rows has a byte cap. The day
 * is refused with a message saying why, nothing of it is applied, and the honest next pull
 * applies it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pullPeer } from "../../lib/federation/pull.ts";
import { createLogger } from "../../lib/log.ts";
import { createTestDb, type TestDb } from "./pg.ts";

const LINES = [
  "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (a.example): " +
  "query: a.example IN A +E(0)K (127.0.0.1)",
  "25-Nov-2026 20:44:16.780 client @0x7fd4ba26d098 127.0.0.11#35729 (b.example): " +
  "query: b.example IN AAAA +E(0)K (127.0.0.1)",
];

async function ingestAndRollUp(db: TestDb, node: string) {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-trust-" });
  try {
    await Deno.writeTextFile(join(dir, "queries.log"), LINES.join("\n") + "\n");
    for (const args of [["ingest", join(dir, "queries.log")], ["rollup"]]) {
      const r = await db.run(args, { DNSA_NODE: node });
      assert.equal(r.code, 0, r.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every statistics row of this database, for comparing before and after a refused pull. */
async function statistics(db: TestDb): Promise<string[]> {
  const rows = await db.sql`
    select 'domains' as t, to_jsonb(x)::text as r from dns_daily_domains x
    union all select 'totals', to_jsonb(x)::text from dns_daily_totals x
    union all select 'hourly', to_jsonb(x)::text from dns_hourly_totals x
    order by 1, 2`;
  return rows.map((r) => `${r.t} ${r.r}`);
}

Deno.test("federation: a peer's rows for this node or another day are refused, and chunks are capped", async () => {
  const local = await createTestDb(), peer = await createTestDb();
  const logged: Record<string, unknown>[] = [];
  const log = createLogger({ write: (line) => logged.push(JSON.parse(line)) });
  const pull = (chunkBytes?: number) =>
    pullPeer(local.sql, { name: "dns2", url: peer.url, source: "config" }, {
      node: "dns1",
      tz: "UTC",
      statsRetentionDays: 36500,
      env: {},
      log,
      chunkBytes,
    });
  try {
    await ingestAndRollUp(local, "dns1");
    await ingestAndRollUp(peer, "dns2");
    const before = await statistics(local);

    // The peer's rows claim to be of this node (dns1), or of another day.
    for (
      const [table, edit] of [
        ["dns_daily_domains", `'{"node_name": "dns1"}'`],
        ["dns_daily_totals", `'{"stat_date": "2026-11-20"}'`],
        ["dns_hourly_totals", `'{"stat_hour": "2026-11-20T10:00:00+00:00"}'`],
      ]
    ) {
      await peer.sql.unsafe(`
        create function public.to_jsonb(t public.${table}) returns jsonb language sql
        as $$ select pg_catalog.to_jsonb(t) || ${edit}::jsonb $$`);
      const refused = await pull();
      assert.equal(refused.ok, false, table);
      assert.equal(refused.days, 0, table);
      assert.match(
        refused.error ?? "",
        new RegExp(`sent ${table} rows for node "dns2" day 2026-11-25, but only 0 of the`),
      );
      assert.deepEqual(await statistics(local), before, `${table}: nothing applied`);
      const [p] = await local.sql`select last_error from federation_peers where peer_name = 'dns2'`;
      assert.equal(p.last_error, refused.error);
      await peer.sql.unsafe(`drop function public.to_jsonb(public.${table})`);
    }

    // A chunk over the cap is refused the same way.
    const capped = await pull(100);
    assert.equal(capped.ok, false);
    assert.match(capped.error ?? "", /bytes in \d+ rows, over the cap of 100 bytes/);
    assert.deepEqual(await statistics(local), before);

    // The honest peer's day is applied, with its own node name and day only.
    const honest = await pull();
    assert.equal(honest.ok, true, honest.error ?? "");
    assert.equal(honest.days, 1);
    const nodes = await local.sql`
      select node_name, stat_date::text as day, sum(hit_count)::int as hits
      from dns_daily_totals group by 1, 2 order by 1`;
    assert.deepEqual(nodes.map((r) => [r.node_name, r.day, r.hits]), [
      ["dns1", "2026-11-25", 2],
      ["dns2", "2026-11-25", 2],
    ]);
  } finally {
    await local.drop();
    await peer.drop();
  }
});
