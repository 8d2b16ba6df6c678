/**
 * The raw query search against real PostgreSQL and the real BIND 9.18 fixture: `report
 * queries` equals a grep of the logs, `*.name` equals the SQL suffix count, paging with the
 * cursor returns every row exactly once (identical rows across page boundaries included),
 * every filter kind, orphan query-errors lines, and the drill-downs.
 */
import assert from "node:assert/strict";
import { createTestDb } from "./pg.ts";
import type { QueryFilter } from "../../lib/search/filter.ts";
import { ERRORS, filter, QUERIES } from "./search_support.ts";
import { searchPage, streamQueries } from "../../lib/search/query_search.ts";
import { drilldown } from "../../lib/search/drilldown.ts";
import type { Sql } from "../../lib/db/connect.ts";

async function streamAll(sql: Sql, f: QueryFilter) {
  const rows: Record<string, unknown>[] = [];
  for await (const b of streamQueries(sql, f, { tz: "UTC", batchRows: 777 })) rows.push(...b);
  return rows;
}

async function pageAll(sql: Sql, f: QueryFilter, limit: number) {
  const rows: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100_000; pages++) {
    const p: { rows: Record<string, unknown>[]; next: string | null } = await searchPage(sql, f, {
      limit,
      cursor,
      tz: "UTC",
    });
    assert.ok(p.rows.length <= limit);
    rows.push(...p.rows);
    cursor = p.next;
    if (!cursor) return rows;
  }
  throw new Error("paging did not end");
}

/** A row as a text that names all of it, for multiset comparison. */
const whole = (r: Record<string, unknown>) => JSON.stringify(r);

function counts(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** (port, name, type) of each `query failed (REFUSED)` line of `client` in the errors log. */
async function grepRefused(client: string): Promise<string[]> {
  const text = await Deno.readTextFile(ERRORS);
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m =
      / client @0x[0-9a-f]+ ([0-9a-f.:]+)#(\d+) \([^)]*\): (?:view \S+: )?query failed \(REFUSED\) for (.+)\/IN\/(\S+) at /
        .exec(line);
    if (m && m[1] === client) out.push(`${m[2]} ${m[3].toLowerCase()} ${m[4]}`);
  }
  return out;
}

Deno.test("search: report queries equals grep; *.name equals the SQL count; paging is exact", async () => {
  const db = await createTestDb();
  try {
    const ing = await db.run(["ingest", QUERIES, ERRORS]);
    assert.equal(ing.code, 0, ing.stderr);

    // --client X --rcode REFUSED --format json: exactly the lines grep finds.
    const refused = await db.run([
      "report",
      "queries",
      "--client",
      "127.0.0.14",
      "--rcode",
      "REFUSED",
      "--format",
      "json",
      "--limit",
      "1000000",
    ]);
    assert.equal(refused.code, 0, refused.stderr);
    const got = JSON.parse(refused.stdout) as Record<string, unknown>[];
    const grep = await grepRefused("127.0.0.14");
    assert.equal(grep.length, 503);
    assert.deepEqual(
      counts(got.map((r) => `${r.client_port} ${r.domain} ${r.qtype}`)),
      counts(grep),
    );
    for (const r of got) {
      assert.equal(r.client_ip, "127.0.0.14");
      assert.equal(r.response_rcode, "REFUSED");
      assert.equal(r.node_name, "test");
    }
    // Newest first.
    const times = got.map((r) => Date.parse(String(r.queried_at)));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));

    // --domain '*.google.com' = domain = 'google.com' or domain like '%.google.com'.
    const [{ n }] = await db.sql<{ n: number }[]>`
      select (select count(*) from dns_queries
              where domain = 'google.com' or domain like '%.google.com')::int +
             (select count(*) from dns_query_errors where matched_query_at is null
              and kind in ('failed', 'response')
              and (domain = 'google.com' or domain like '%.google.com'))::int as n`;
    assert.ok(n > 100, `the fixture has google.com queries (${n})`);
    const csv = await db.run([
      "report",
      "queries",
      "--domain",
      "*.google.com",
      "--format",
      "csv",
      "--limit",
      "1000000",
    ]);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^queried_at,node_name,client_ip,client_name,client_port,domain,/);
    assert.equal(lines.length - 1, n);

    // Table output and a bad option.
    const table = await db.run(["report", "queries", "--domain", "youtube.com", "--limit", "5"]);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.trimEnd().split("\n").length, 7);
    assert.match(table.stdout, /youtube\.com/);
    const bad = await db.run(["report", "queries", "--client", "10.0.0.0/99"]);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--client/);

    // Paging through everything returns every row exactly once, as the stream has them.
    const everything = filter({});
    const streamed = await streamAll(db.sql, everything);
    assert.equal(streamed.length, 25_866);
    const paged = await pageAll(db.sql, everything, 997);
    assert.equal(paged.length, streamed.length);
    assert.deepEqual(counts(paged.map(whole)), counts(streamed.map(whole)));
  } finally {
    await db.drop();
  }
});

Deno.test("search: identical rows across page boundaries, every filter kind, orphans, drill-downs", async () => {
  const db = await createTestDb();
  try {
    const ing = await db.run(["ingest", QUERIES, ERRORS]);
    assert.equal(ing.code, 0, ing.stderr);
    const sql = db.sql as unknown as Sql;
    // Five identical rows and two that differ only in flags, all at one instant.
    await db.sql.unsafe(`
      insert into dns_queries (queried_at, client_ip, client_port, domain, apex_domain, qtype,
        flags, node_id, qclass, transport)
      select '2026-11-25 20:44:00.000+00', '10.9.9.9', 5353, 'twin.example.com', 'example.com',
        'A', f, (select node_id from dns_nodes limit 1), 'IN', 'udp'
      from unnest(array['+', '+', '+', '+', '+', '-', '+E(0)']) as f`);
    const twins = filter({ client: "10.9.9.9" });
    for (const limit of [1, 2, 3, 4, 6]) {
      const rows = await pageAll(sql, twins, limit);
      assert.equal(rows.length, 7, `limit ${limit}`);
      assert.deepEqual(
        counts(rows.map((r) => String(r.flags))),
        new Map([["+", 5], ["-", 1], ["+E(0)", 1]]),
      );
    }
    // An orphan query-errors line is a row of its own.
    await db.sql.unsafe(`
      insert into dns_query_errors (logged_at, node_id, kind, client_ip, client_port, domain,
        qclass, qtype, reason, response_rcode, apex_domain)
      values ('2026-11-25 20:44:30+00', (select node_id from dns_nodes limit 1), 'failed',
        '10.9.9.8', 4444, 'lost.example.com', 'IN', 'AAAA', 'timed out', 'SERVFAIL',
        'example.com')`);
    const orphan = await streamAll(sql, filter({ domain: "*.example.com", rcode: "SERVFAIL" }));
    assert.equal(orphan.length, 1);
    assert.equal(orphan[0].source, "orphan");
    assert.equal(orphan[0].error_reason, "timed out");

    // Each filter kind against SQL over the same rows.
    const count = async (where: string) => {
      const [{ n }] = await db.sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from dns_queries q where ${where}`,
      );
      // Error lines do not say their transport: no transport filter matches them.
      if (where.includes("transport")) return n;
      const [{ m }] = await db.sql.unsafe<{ m: number }[]>(
        `select count(*)::int as m from dns_query_errors q where matched_query_at is null
         and kind in ('failed', 'response') and ${where.replaceAll("queried_at", "logged_at")}`,
      );
      return n + m;
    };
    await db.sql.unsafe(`insert into dns_client_names (address, name, source)
      values ('127.0.0.10', 'laptop.codeandcore.home', 'hosts')`);
    const cases: [Record<string, string>, string][] = [
      [{ client: "127.0.0.0/30" }, "client_ip <<= '127.0.0.0/30'"],
      [{ client: "laptop" }, "client_ip = '127.0.0.10'"],
      [{ client: "LAPTOP.codeandcore.home" }, "client_ip = '127.0.0.10'"],
      [{ domain: "YouTube.com." }, "domain = 'youtube.com'"],
      [{ apex: "google.com" }, "apex_domain = 'google.com'"],
      [{ qtype: "aaaa,https" }, "qtype in ('AAAA', 'HTTPS')"],
      [{ rcode: "unknown" }, "response_rcode is null"],
      [{ rcode: "servfail,unknown" }, "(response_rcode = 'SERVFAIL' or response_rcode is null)"],
      [{ transport: "tcp" }, "transport = 'tcp'"],
      [{ node: "test" }, "true"],
      [{ node: "other" }, "false"],
      [
        { from: "2026-11-25T20:44:00", to: "2026-11-25T20:44:09.999" },
        "queried_at >= '2026-11-25 20:44:00+00' and queried_at < '2026-11-25 20:44:10+00'",
      ],
      [{ from: "2026-11-26" }, "false"],
      [
        { client: "127.0.0.11", qtype: "A", domain: "*.youtube.com", rcode: "unknown" },
        "client_ip = '127.0.0.11' and qtype = 'A' and response_rcode is null and " +
        "(domain = 'youtube.com' or domain like '%.youtube.com')",
      ],
    ];
    for (const [input, where] of cases) {
      const expected = await count(where);
      const rows = await streamAll(sql, filter(input));
      assert.equal(rows.length, expected, JSON.stringify(input));
      if (input.client === "laptop") {
        assert.ok(expected > 0);
        assert.ok(rows.every((r) => r.client_name === "laptop.codeandcore.home"));
        const page = await searchPage(sql, filter(input), { limit: 5, tz: "UTC" });
        assert.ok(page.rows.every((r) => r.client_name === "laptop.codeandcore.home"));
        assert.ok(page.next !== null);
      }
    }

    // Drill-downs against SQL group-bys.
    const d = await drilldown(sql, filter({ client: "127.0.0.14" }), "domain", {
      limit: 1000,
      tz: "UTC",
    });
    const byDomain = await db.sql<{ domain: string; n: number }[]>`
      select domain, count(*)::int as n from dns_queries where client_ip = '127.0.0.14'
      group by domain order by n desc, domain`;
    assert.equal(d.rows.length, byDomain.length);
    assert.deepEqual(
      new Map(d.rows.map((r) => [r.domain, r.hit_count])),
      new Map(byDomain.map((r) => [r.domain, r.n])),
    );
    assert.equal(d.rows[0].hit_count, byDomain[0].n);
    assert.equal(d.coverage.raw_from, "2026-11-25");
    const rc = await drilldown(sql, filter({ client: "127.0.0.14" }), "rcode", {
      limit: 10,
      tz: "UTC",
    });
    assert.deepEqual(rc.rows.map((r) => [r.response_rcode, r.hit_count]), [["REFUSED", 503]]);
    const clients = await drilldown(sql, filter({ domain: "youtube.com" }), "client", {
      limit: 100,
      tz: "UTC",
    });
    const byClient = await db.sql<{ ip: string; n: number }[]>`
      select host(client_ip) as ip, count(*)::int as n from dns_queries
      where domain = 'youtube.com' group by 1`;
    assert.deepEqual(
      new Map(clients.rows.map((r) => [r.client_ip, r.hit_count])),
      new Map(byClient.map((r) => [r.ip, r.n])),
    );
    assert.equal(
      clients.rows.find((r) => r.client_ip === "127.0.0.10")?.client_name,
      "laptop.codeandcore.home",
    );

    const cli = await db.run([
      "report",
      "domain-clients",
      "--domain",
      "youtube.com",
      "--format",
      "json",
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const cliRows = JSON.parse(cli.stdout) as Record<string, unknown>[];
    assert.equal(cliRows.length, byClient.length);
    const cd = await db.run([
      "report",
      "client-domains",
      "--client",
      "laptop",
      "--by",
      "qtype",
      "--format",
      "csv",
    ]);
    assert.equal(cd.code, 0, cd.stderr);
    assert.match(cd.stdout, /^qtype,hit_count,/);
    const missing = await db.run(["report", "client-domains"]);
    assert.equal(missing.code, 64);
  } finally {
    await db.drop();
  }
});
