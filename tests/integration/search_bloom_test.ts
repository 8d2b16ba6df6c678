/**
 * The blocks' name filter (dns_query_blocks.name_bloom, migration 0031) and the exact-name
 * search: a rare name under a common apex is found in every block that holds it, whether the
 * block was written by the ingest (lib/ingest/block_sink.ts), by dnsa_pack_rows, or before
 * the migration (filter NULL); both writers build the same bytes; blocks without the name are
 * left out of the search.
 */
import assert from "node:assert/strict";
import { createTestDb } from "./pg.ts";
import { parseQueryFilter, type QueryFilter } from "../../lib/search/filter.ts";
import { searchPage, streamQueries } from "../../lib/search/query_search.ts";
import { drilldown } from "../../lib/search/drilldown.ts";
import { bloomCondition, nameHashes } from "../../lib/ingest/name_bloom.ts";
import type { Sql } from "../../lib/db/connect.ts";

const RARE = "rare.google.com";

function filter(input: Record<string, string>): QueryFilter {
  const f = parseQueryFilter(input, { tz: "UTC" });
  if (!f.ok) throw new Error(f.message);
  return f.value;
}

/**
 * `lines` queries on 2026-11-25 from 20:00, one per 10 ms, the rare name at `rare` (with a
 * trailing dot at even lines).
 */
function queryLog(lines: number, rare: Set<number>): string {
  const out: string[] = [];
  const t0 = Date.UTC(2026, 10, 25, 20);
  for (let i = 0; i < lines; i++) {
    const t = new Date(t0 + i * 10).toISOString();
    const at = `25-Nov-2026 ${t.slice(11, 23)}`;
    // Escaped names and trailing dots take the general parser, the others the fast path.
    let name = rare.has(i) ? RARE : `h${i % 500}.google.com`;
    if (i % 7 === 3) name = `caf\\195\\169-${i % 50}.google.com`;
    if (i % 2 === 0 && rare.has(i)) name += ".";
    const ip = `10.0.${(i >> 8) & 3}.${i & 255}`;
    out.push(
      `${at} client @0x7fd4ba26d098 ${ip}#${1024 + i} (${name}): query: ${name} IN A +E(0)K ` +
        `(127.0.0.1)`,
    );
  }
  return out.join("\n") + "\n";
}

async function pageAll(sql: Sql, f: QueryFilter) {
  const rows: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const p: { rows: Record<string, unknown>[]; next: string | null } = await searchPage(sql, f, {
      limit: 2,
      cursor,
      tz: "UTC",
    });
    rows.push(...p.rows);
    cursor = p.next;
    if (!cursor) return rows;
  }
  throw new Error("paging did not end");
}

const key = (r: Record<string, unknown>) => `${r.queried_at} ${r.client_ip} ${r.client_port}`;

Deno.test("search: an exact name under a common apex equals the SQL count, filter or not", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa_bloom_" });
  try {
    // 14,000 queries: four blocks of the ingest; the rare name in the first, third and last.
    const log = `${dir}/queries.log`;
    await Deno.writeTextFile(log, queryLog(14_000, new Set([100, 9_000, 13_999])));
    const r = await db.run(["ingest", log]);
    assert.equal(r.code, 0, r.stderr);
    const sql = db.sql as unknown as Sql;
    const [{ cafe }] = await db.sql`
      select count(*)::int as cafe from dns_queries where domain like ${"caf\u00e9-%"}`;
    assert.equal(cafe, 2000);
    // Rows packed by SQL (dnsa_pack_rows: dnstap, the embedded database, staged rows).
    await db.sql.unsafe(
      `insert into dns_queries (queried_at, client_ip, client_port, domain, apex_domain, qtype,
         node_id)
       select timestamptz '2026-11-25 21:00:00Z' + g * interval '1 second', '10.1.0.1', g,
         case when g in (5, 2500) then $1 else 'p' || (g % 300) || '.google.com' end,
         'google.com', 'A', (select node_id from dns_nodes where node_name = 'test')
       from generate_series(1, 3000) g`,
      [RARE],
    );
    await db.sql`select dnsa_pack_rows('dns_query_staged'::regclass)`;
    const blocks = await db.sql`
      select block_id, n, name_bloom is not null as has_filter,
        name_bloom = dnsa_name_bloom(array(select distinct d from unnest(domain) d), n) as same,
        length(name_bloom) as bytes, ${RARE}::text = any(domain) as rare
      from dns_query_blocks order by first_at`.values() as unknown as [
      number,
      number,
      boolean,
      boolean,
      number,
      boolean,
    ][];
    assert.equal(blocks.length, 5);
    for (const [id, n, has, same, bytes] of blocks) {
      assert.ok(has, `block ${id} has no filter`);
      assert.ok(same, `block ${id}: the ingest's filter differs from dnsa_name_bloom's`);
      assert.equal(bytes, n);
    }
    // Only the blocks that hold the name pass the filter's condition.
    const params: unknown[] = [];
    const cond = bloomCondition("b.name_bloom", RARE, (v) => {
      params.push(v);
      return `$${params.length}`;
    });
    const passing = await db.sql.unsafe(
      `select b.block_id from dns_query_blocks b where ${cond} order by b.first_at`,
      params as never[],
    );
    assert.deepEqual(
      passing.map((b) => Number(b.block_id)),
      blocks.filter((b) => b[5]).map((b) => Number(b[0])),
    );

    const f = filter({ domain: RARE });
    const check = async (expected: number) => {
      const truth = await db.sql`
        select to_char(queried_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') as at,
          host(client_ip) as ip, client_port from dns_queries where domain = ${RARE}`;
      assert.equal(truth.length, expected);
      const rows = await pageAll(sql, f);
      assert.equal(rows.length, truth.length);
      const streamed: Record<string, unknown>[] = [];
      for await (const b of streamQueries(sql, f, { tz: "UTC", batchRows: 100 })) {
        streamed.push(...b);
      }
      assert.deepEqual(streamed.map(key).sort(), rows.map(key).sort());
      const ips = new Set(truth.map((t) => t.ip));
      assert.deepEqual(new Set(rows.map((r) => r.client_ip)), ips);
      const clients = await drilldown(sql, f, "client", { limit: 100, tz: "UTC" });
      const total = clients.rows.reduce((s, c) => s + Number(c.hit_count), 0);
      assert.equal(total, truth.length);
      const none = await searchPage(sql, filter({ domain: "absent.google.com" }), {
        limit: 10,
        tz: "UTC",
      });
      assert.equal(none.rows.length, 0);
    };
    await check(5);
    // Blocks written before the migration have no filter: searched as before.
    await db.sql`update dns_query_blocks set name_bloom = null
      where block_id in (select block_id from dns_query_blocks order by first_at limit 3)`;
    await check(5);

    // The apexes' filter (migration 0038): the same bytes from the ingest and from SQL, one byte
    // a distinct apex; an apex or a suffix finds every row, whether a block has the filter or
    // not (written before 0038); an apex no block holds finds none.
    const apexBlocks = await db.sql`
      select block_id, length(apex_bloom) as bytes,
        (select count(distinct a) from unnest(apex_domain) a)::int as apexes,
        apex_bloom = dnsa_name_bloom(array(select distinct a from unnest(apex_domain) a),
          (select count(distinct a) from unnest(apex_domain) a)::int) as same
      from dns_query_blocks order by first_at`;
    assert.equal(apexBlocks.length, 5);
    for (const b of apexBlocks) {
      assert.ok(b.same, `block ${b.block_id}: the ingest's apex filter differs from SQL's`);
      assert.equal(b.bytes, b.apexes);
    }
    const apexCheck = async () => {
      const [{ all }] = await db.sql`
        select count(*)::int as all from dns_queries where apex_domain = 'google.com'`;
      assert.equal(all, 17_000);
      const inputs: Record<string, string>[] = [{ apex: "google.com" }, { domain: "*.google.com" }];
      for (const input of inputs) {
        const clients = await drilldown(sql, filter(input), "client", { limit: 10_000, tz: "UTC" });
        assert.equal(clients.rows.reduce((s, c) => s + Number(c.hit_count), 0), all);
        const first = await searchPage(sql, filter(input), { limit: 10, tz: "UTC" });
        assert.equal(first.rows.length, 10);
      }
      const none = await searchPage(sql, filter({ apex: "example.org" }), { limit: 10, tz: "UTC" });
      assert.equal(none.rows.length, 0);
    };
    await apexCheck();
    await db.sql`update dns_query_blocks set apex_bloom = null
      where block_id in (select block_id from dns_query_blocks order by first_at limit 2)`;
    await apexCheck();
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("name bloom: the Deno hashes are hashtextextended(name, 0)'s", async () => {
  const db = await createTestDb();
  try {
    const names: string[] = [];
    for (let i = 0; i < 2000; i++) {
      let s = "";
      for (let j = 0; j < i % 45; j++) s += String.fromCharCode(97 + ((i * 7 + j * 13) % 26));
      names.push(i % 11 === 0 ? `${s}.caf\u00e9.\u4e2d\u6587` : s);
    }
    const rows = await db.sql`
      select n, hashtextextended(n, 0)::text as h from unnest(${names}::text[]) as n`;
    const enc = new TextEncoder();
    for (const r of rows) {
      const [g1, g2] = nameHashes(enc.encode(r.n));
      const h = BigInt(r.h);
      assert.equal(g1, Number(h & 0xffffffffn), r.n);
      assert.equal(g2, Number(((h >> 32n) & 0xffffffffn) | 1n), r.n);
    }
  } finally {
    await db.drop();
  }
});
