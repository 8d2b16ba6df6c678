/**
 * The ranking reports (top-domains, top-nxdomain, top-servfail) share one ranking and every
 * top-* report one scope (sql/migrations/0010_report_scope.sql): each ranks by its own column,
 * shows its own columns, and counts only the days and nodes asked for.
 */
import assert from "node:assert/strict";
import { migrate } from "../../lib/db/migrate.ts";
import { runReport } from "../../lib/report.ts";
import { createTestDb } from "./pg.ts";

// (day, node, domain, hits, nxdomain, servfail): node b and day 2 hold rows the scope must drop.
const ROWS: [string, string, string, number, number, number][] = [
  ["2026-03-01", "a", "www.one.example", 50, 1, 0],
  ["2026-03-01", "a", "nx.two.example", 10, 9, 0],
  ["2026-03-01", "a", "fail.three.example", 20, 0, 15],
  ["2026-03-01", "b", "nx.two.example", 5, 5, 0],
  ["2026-03-02", "a", "fail.three.example", 100, 0, 90],
  ["2026-03-02", "a", "www.one.example", 1, 0, 0],
];

async function seed(sql: import("postgres").Sql) {
  for (
    const [day, node] of new Set(ROWS.map((r) => `${r[0]} ${r[1]}`)).values().map((s) =>
      s.split(" ")
    )
  ) {
    await sql`
      insert into dns_daily_totals (stat_date, node_name, hit_count, unique_clients,
        unique_domains, noerror_count, nxdomain_count, servfail_count, refused_count,
        other_count, unknown_count, client_hashes)
      values (${day}, ${node}, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}')`;
  }
  for (const [day, node, domain, hits, nx, sf] of ROWS) {
    await sql`
      insert into dns_daily_domains (stat_date, node_name, domain, apex_domain, hit_count,
        unique_clients, noerror_count, nxdomain_count, servfail_count, refused_count,
        other_count, unknown_count, first_seen, last_seen, client_hashes)
      values (${day}, ${node}, ${domain}, ${domain.split(".").slice(1).join(".")}, ${hits}, 1,
        ${hits - nx - sf}, ${nx}, ${sf}, 0, 0, 0, ${day + "T10:00:00Z"}, ${day + "T11:00:00Z"},
        ${"{" + hits + "}"})`;
  }
}

Deno.test("reports: top-domains, top-nxdomain and top-servfail rank by their own column over the asked days and nodes", async () => {
  const db = await createTestDb();
  try {
    await migrate(db.sql);
    await seed(db.sql);
    const day1 = { from: "2026-03-01", to: "2026-03-01", tz: "UTC" };
    const rank = async (name: string, options: Parameters<typeof runReport>[2]) => {
      const r = await runReport(db.sql, name, options);
      return { columns: r.columns, rows: r.rows.map((x) => [x.domain, x[r.columns[2]]]) };
    };

    const top = await rank("top-domains", { ...day1, nodes: ["a"] });
    assert.deepEqual(top.rows, [["www.one.example", 50], ["fail.three.example", 20], [
      "nx.two.example",
      10,
    ]]);
    assert.deepEqual(top.columns.slice(0, 4), [
      "domain",
      "apex_domain",
      "hit_count",
      "unique_clients",
    ]);

    const nx = await rank("top-nxdomain", day1);
    assert.deepEqual(nx.rows, [["nx.two.example", 14], ["www.one.example", 1]]);
    assert.deepEqual(nx.columns.slice(0, 4), [
      "domain",
      "apex_domain",
      "nxdomain_count",
      "hit_count",
    ]);
    assert.ok(!nx.columns.slice(4).includes("nxdomain_count"));

    const sf = await rank("top-servfail", { tz: "UTC", limit: 1 });
    assert.deepEqual(sf.rows, [["fail.three.example", 105]]);
    assert.deepEqual(sf.columns.slice(0, 4), [
      "domain",
      "apex_domain",
      "servfail_count",
      "hit_count",
    ]);
    assert.ok(!sf.columns.slice(4).includes("servfail_count"));

    // The scope: node b alone, then a day without totals (nothing), for every top-* report.
    const onlyB = await runReport(db.sql, "top-domains", { ...day1, nodes: ["b"] });
    assert.deepEqual(onlyB.rows.map((r) => [r.domain, r.hit_count, r.unique_clients]), [[
      "nx.two.example",
      5,
      1,
    ]]);
    for (const name of ["top-domains", "top-apex-domains", "top-clients", "top-servfail"]) {
      const none = await runReport(db.sql, name, { from: "2026-03-05", tz: "UTC" });
      assert.equal(none.rows.length, 0, name);
    }
  } finally {
    await db.drop();
  }
});
