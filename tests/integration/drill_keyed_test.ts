/**
 * The drill-downs of one value (lib/search/drill_keyed.ts: dnsa_block_rows_at, migration 0034,
 * in parallel workers where the server has them) against the general statement
 * (lib/search/top_sql.ts) on the real BIND 9.18 fixture: every row of the answer equal
 * (key, apex, count, rcode split with the joined query-errors lines' outcomes, first and last
 * seen), for clients and names, every key, time bounds inside blocks and nodes; a search with
 * staged rows or an orphan line counts them (the general statement then).
 */
import assert from "node:assert/strict";
import { createTestDb } from "./pg.ts";
import type { QueryFilter } from "../../lib/search/filter.ts";
import { ERRORS, filter, QUERIES } from "./search_support.ts";
import { drilldown, type DrillKey } from "../../lib/search/drilldown.ts";
import { drillSideStatement, keyedTopStatement } from "../../lib/search/drill_keyed.ts";
import type { Sql } from "../../lib/db/connect.ts";

async function both(sql: Sql, f: QueryFilter, key: DrillKey, limit: number) {
  const keyed = await drilldown(sql, f, key, { limit, tz: "UTC" });
  const general = await drilldown(sql, f, key, { limit, tz: "UTC", general: true });
  return { keyed: keyed.rows, general: general.rows };
}

Deno.test("drill-downs of one value: the keyed statement equals the general one", async () => {
  const db = await createTestDb();
  try {
    const ing = await db.run(["ingest", QUERIES, ERRORS]);
    assert.equal(ing.code, 0, ing.stderr);
    const sql = db.sql as unknown as Sql;
    const clients = await db.sql<{ ip: string; n: number }[]>`
      select host(client_ip) as ip, count(*)::int as n from dns_queries
      group by 1 order by 2 desc, 1 limit 6`;
    const names = await db.sql<{ domain: string }[]>`
      select domain from dns_queries group by 1 order by count(*) desc, 1 limit 4`;
    const [span] = await db.sql<{ lo: Date; hi: Date }[]>`
      select min(queried_at) as lo, max(queried_at) as hi from dns_queries`;
    const lo = span.lo.getTime(), hi = span.hi.getTime();
    // Bounds that cut blocks: a third and two thirds into the fixture's span.
    const third = new Date(lo + (hi - lo) / 3).toISOString();
    const twoThirds = new Date(lo + (2 * (hi - lo)) / 3).toISOString();
    const ranges: Record<string, string>[] = [
      {},
      { from: third },
      { to: twoThirds },
      { from: third, to: twoThirds },
      { node: "test" },
    ];
    // The fixture's rows of these clients and names are all in blocks (no staged row, no
    // orphan line), so the keyed statement is the one that answers below.
    for (const f of [...clients.map((c) => ({ client: c.ip })), ...names]) {
      const side = drillSideStatement(filter(f as Record<string, string>));
      // deno-lint-ignore no-explicit-any
      const [{ side: has }] = await db.sql.unsafe(side.text, side.params as any[]);
      assert.equal(has, false, JSON.stringify(f));
    }
    let compared = 0, refused = 0;
    for (const range of ranges) {
      for (const c of clients) {
        const f = filter({ client: c.ip, ...range });
        for (const key of ["domain", "qtype", "rcode"] as const) {
          assert.ok(keyedTopStatement(f, key, 10) !== null);
          const r = await both(sql, f, key, 1000);
          assert.deepEqual(r.keyed, r.general, `${c.ip} ${key} ${JSON.stringify(range)}`);
          compared += r.keyed.length;
          if (key === "rcode") {
            refused += Number(r.keyed.find((x) => x.response_rcode === "REFUSED")?.hit_count ?? 0);
          }
        }
        // A short list is the general statement's first rows (ties by key, as it orders).
        const top = await both(sql, f, "domain", 3);
        assert.deepEqual(top.keyed, top.general);
      }
      for (const { domain } of names) {
        const f = filter({ domain, ...range });
        assert.ok(keyedTopStatement(f, "client", 10) !== null);
        const r = await both(sql, f, "client", 1000);
        assert.deepEqual(r.keyed, r.general, `${domain} ${JSON.stringify(range)}`);
        compared += r.keyed.length;
      }
      // An apex: its rows found in the apex array, counted by client or by full name.
      for (const key of ["client", "domain"] as const) {
        const f = filter({ apex: "google.com", ...range });
        assert.ok(keyedTopStatement(f, key, 10) !== null);
        const r = await both(sql, f, key, 1000);
        assert.deepEqual(r.keyed, r.general, `apex ${key} ${JSON.stringify(range)}`);
        compared += r.keyed.length;
      }
    }
    assert.ok(compared > 500, `rows compared: ${compared}`);
    // The rcodes of joined query-errors lines (dns_query_outcomes) are counted.
    assert.ok(refused > 0);
    // Another filter besides the value: the general statement.
    assert.equal(
      keyedTopStatement(filter({ client: clients[0].ip, qtype: "A" }), "domain", 10),
      null,
    );

    // Staged rows (not packed yet) and an orphan line are counted too.
    const ip = clients[0].ip;
    const before = await drilldown(sql, filter({ client: ip }), "domain", {
      limit: 100_000,
      tz: "UTC",
    });
    const total = (rows: Record<string, unknown>[]) =>
      rows.reduce((s, r) => s + Number(r.hit_count), 0);
    assert.equal(total(before.rows), clients[0].n);
    await db.sql.unsafe(
      `insert into dns_queries (queried_at, client_ip, client_port, domain, apex_domain, qtype,
        flags, node_id, qclass, transport)
      values ('2026-11-25 20:44:00+00', $1, 5353, 'staged.example.com', 'example.com', 'A', '+',
        (select node_id from dns_nodes limit 1), 'IN', 'udp')`,
      [ip],
    );
    await db.sql.unsafe(
      `insert into dns_query_errors (logged_at, node_id, kind, client_ip, client_port, domain,
        qclass, qtype, reason, response_rcode, apex_domain)
      values ('2026-11-25 20:44:30+00', (select node_id from dns_nodes limit 1), 'failed', $1,
        4444, 'lost.example.com', 'IN', 'AAAA', 'timed out', 'SERVFAIL', 'example.com')`,
      [ip],
    );
    const after = await drilldown(sql, filter({ client: ip }), "domain", {
      limit: 100_000,
      tz: "UTC",
    });
    assert.equal(total(after.rows), clients[0].n + 2);
    const lost = after.rows.find((r) => r.domain === "lost.example.com");
    assert.equal(lost?.servfail_count, 1);
    assert.equal(lost?.apex_domain, "example.com");

    // A read replica of a primary before migration 0034: the general statement answers.
    const other = clients[1].ip;
    const withFunction = await drilldown(sql, filter({ client: other }), "domain", {
      limit: 50,
      tz: "UTC",
    });
    await db.sql.unsafe("drop function dnsa_block_rows_at");
    const without = await drilldown(sql, filter({ client: other }), "domain", {
      limit: 50,
      tz: "UTC",
    });
    assert.ok(without.rows.length > 0);
    assert.deepEqual(without.rows, withFunction.rows);
  } finally {
    await db.drop();
  }
});
