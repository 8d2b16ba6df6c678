/**
 * The move from the seed guide's install: a database built from its own tables
 * (tests/fixtures/seed/seed-schema.sql, a copy of the seed's reconstruction) with 100,000
 * rows is converted in place by `migrate`: every row kept, node ids and names kept, the
 * seed's top-domains SQL and its postgres_fdw query give the same rows before and after; a
 * read of BIND's logs covering part of the span then leaves exactly one row per logged query
 * there and the seed's rows elsewhere.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { adminUrl, createTestDb, type TestDb } from "./pg.ts";

const SEED_SCHEMA = new URL("../fixtures/seed/seed-schema.sql", import.meta.url);
const ROWS = 100_000;
const DAYS = 10;

/** The seed guide's combined top-domains query (its section 4), on one or two tables. */
const TOP_DOMAINS = (tables: string[]) => `
  SELECT apex_domain, SUM(hit_count) AS total_queries, SUM(unique_clients) AS total_clients,
    'combined' AS source
  FROM (${
  tables.map((t) =>
    `SELECT apex_domain, hit_count, unique_clients FROM ${t}
     WHERE stat_date >= CURRENT_DATE - INTERVAL '7 days'`
  ).join(" UNION ALL ")
}) combined
  GROUP BY apex_domain ORDER BY total_queries DESC, apex_domain LIMIT 50`;

/** The seed's daily rollup as its cron would run it (the guide names it, not its SQL). */
const SEED_ROLLUP = `
  INSERT INTO dns_daily_stats (stat_date, domain, apex_domain, qtype, hit_count, unique_clients,
    nxdomain_count, servfail_count, first_seen, last_seen)
  SELECT (queried_at AT TIME ZONE 'UTC')::date, domain, max(apex_domain), qtype, count(*),
    count(DISTINCT client_ip), count(*) FILTER (WHERE response_rcode = 'NXDOMAIN'),
    count(*) FILTER (WHERE response_rcode = 'SERVFAIL'), min(queried_at), max(queried_at)
  FROM dns_queries GROUP BY 1, 2, 4`;

/** 100,000 rows as the seed's ingestor stored them: seconds only, naive apex, no node. */
async function fillSeed(db: TestDb, today: number): Promise<void> {
  await db.sql.unsafe(await Deno.readTextFile(SEED_SCHEMA));
  await db.sql.unsafe(
    `INSERT INTO dns_queries (queried_at, client_ip, client_port, domain, apex_domain, qtype,
       flags, response_rcode, cached, node_id)
     SELECT to_timestamp($1::bigint + (i::bigint * $2::bigint / $3::bigint)),
       ('192.168.238.' || (i % 50 + 10))::inet, 1024 + i % 60000,
       'host' || (i % 7) || '.site' || (i % 300) || '.example',
       'site' || (i % 300) || '.example', (ARRAY['A', 'AAAA', 'HTTPS'])[i % 3 + 1], '+',
       CASE WHEN i % 97 = 0 THEN 'NXDOMAIN' ELSE 'NOERROR' END, false,
       CASE WHEN i % 10 = 0 THEN 2 END
     FROM generate_series(0, $3::bigint - 1) i`,
    [(today - DAYS + 1) * 86_400, DAYS * 86_400, ROWS],
  );
  await db.sql.unsafe(SEED_ROLLUP);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A BIND 9.18 query log line at `ms` (UTC). */
function logLine(ms: number, ip: string, port: number, name: string, qtype: string): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const ts = `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.` +
    p(d.getUTCMilliseconds(), 3);
  return `${ts} client @0x7f3a2c001234 ${ip}#${port} (${name}): query: ${name} IN ${qtype} ` +
    "+E(0)K (192.168.238.128)";
}

Deno.test({
  name: "seed: migrate converts the seed's tables in place; BIND's logs replace its rows",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await createTestDb();
    const viewer = await createTestDb(); // dns1 of the seed's section 4, with the fdw
    const dir = await Deno.makeTempDir({ prefix: "dnsa-seed-" });
    const env = { DNSA_NODE: "home-dns1", DNSA_LOG_TZ: "UTC" };
    try {
      const today = Math.floor(Date.now() / 86_400_000);
      await fillSeed(db, today);
      // The seed's fdw on the viewer, pointed at the converted database.
      const admin = new URL(adminUrl());
      const dbName = new URL(db.url).pathname.slice(1);
      await viewer.sql.unsafe(`
        CREATE EXTENSION IF NOT EXISTS postgres_fdw;
        CREATE SERVER dns2_server FOREIGN DATA WRAPPER postgres_fdw
          OPTIONS (host '${admin.hostname}', port '${admin.port || 5432}', dbname '${dbName}');
        CREATE USER MAPPING FOR CURRENT_USER SERVER dns2_server
          OPTIONS (user '${decodeURIComponent(admin.username)}',
                   password '${decodeURIComponent(admin.password)}');
        CREATE FOREIGN TABLE dns2_daily_stats (
          stat_date DATE, domain TEXT, apex_domain TEXT, qtype VARCHAR(10), hit_count BIGINT,
          unique_clients INTEGER, nxdomain_count BIGINT, servfail_count BIGINT,
          first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ
        ) SERVER dns2_server OPTIONS (schema_name 'public', table_name 'dns_daily_stats');`);
      const plain = (rows: Record<string, unknown>[]) =>
        rows.map((r) => Object.values(r).map(String).join("|"));
      const topBefore = plain(await db.sql.unsafe(TOP_DOMAINS(["dns_daily_stats"])));
      const fdwBefore = plain(await viewer.sql.unsafe(TOP_DOMAINS(["dns2_daily_stats"])));
      assert.equal(topBefore.length, 50);
      assert.deepEqual(fdwBefore, topBefore);
      const nodesBefore = await db.sql`select node_id, node_name from dns_nodes order by 1`;

      // The window a later read of BIND's logs covers: one hour of the last day.
      const windowStart = new Date((today * 24 + 3) * 3_600_000);
      const windowEnd = new Date(windowStart.getTime() + 3_600_000);
      const inWindow = await db.sql<
        { at: Date; ip: string; port: number; domain: string; qtype: string }[]
      >`select queried_at as at, host(client_ip) as ip, client_port as port, domain, qtype
        from dns_queries where queried_at >= ${windowStart} and queried_at < ${windowEnd}
          and node_id is null`; // this server's rows (the seed's ingestor never set node_id)
      assert.ok(inWindow.length > 100);

      // --dry-run says what it will do and changes nothing.
      const dry = await db.run(["migrate", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr);
      const plan = dry.json as {
        dry_run: boolean;
        seed: { queries: { rows: number }; nodes: { names: string[] }; problems: string[] };
        pending: string[];
      };
      assert.equal(plan.dry_run, true);
      assert.equal(plan.seed.queries.rows, ROWS);
      assert.deepEqual(plan.seed.nodes.names, ["home-dns1", "home-dns2"]);
      assert.deepEqual(plan.seed.problems, []);
      assert.ok(plan.pending.includes("0001_init.sql"));
      const [kind] = await db.sql`select relkind::text as k from pg_class
        where relname = 'dns_queries' and relnamespace = 'public'::regnamespace`;
      assert.equal(kind.k, "r", "the dry run changed nothing");

      // migrate converts: rows counted before and after, node ids and names kept.
      const run = await db.run(["migrate"], env);
      assert.equal(run.code, 0, run.stderr);
      const seed = (run.json as { seed: Record<string, number> }).seed;
      assert.equal(seed.queriesBefore, ROWS);
      assert.equal(seed.queriesAfter, ROWS);
      const [after] = await db.sql`select count(*)::int as n,
        count(*) filter (where origin = 'seed')::int as seed,
        count(*) filter (where node_id = 1)::int as dns1,
        count(*) filter (where node_id = 2)::int as dns2 from dns_queries`;
      assert.deepEqual({ ...after }, { n: ROWS, seed: ROWS, dns1: ROWS * 0.9, dns2: ROWS / 10 });
      const nodesAfter = await db.sql`select node_id, node_name from dns_nodes order by 1`;
      assert.deepEqual(nodesAfter.map((r) => ({ ...r })), nodesBefore.map((r) => ({ ...r })));
      const [kindAfter] = await db.sql`select relkind::text as k from pg_class
        where relname = 'dns_queries' and relnamespace = 'public'::regnamespace`;
      assert.equal(kindAfter.k, "v", "dns_queries is now the view over the day-partitioned blocks");
      const [blocks] = await db.sql`select relkind::text as k from pg_class
        where relname = 'dns_query_blocks' and relnamespace = 'public'::regnamespace`;
      assert.equal(blocks.k, "p", "the blocks are partitioned by day");

      // The seed's SQL answers the same, right away and after the rollup rebuilt the days.
      assert.deepEqual(plain(await db.sql.unsafe(TOP_DOMAINS(["dns_daily_stats"]))), topBefore);
      assert.deepEqual(
        plain(await viewer.sql.unsafe(TOP_DOMAINS(["dns2_daily_stats"]))),
        fdwBefore,
      );
      // The seed's rows of node 2 are rolled up under home-dns2 now; the seed's query sums
      // every node, as the seed's own table did.
      assert.equal((await db.run(["rollup"], env)).code, 0);
      assert.deepEqual(plain(await db.sql.unsafe(TOP_DOMAINS(["dns_daily_stats"]))), topBefore);
      assert.deepEqual(
        plain(await viewer.sql.unsafe(TOP_DOMAINS(["dns2_daily_stats"]))),
        fdwBefore,
      );

      // BIND's log of the window holds every query; the seed stored a quarter of them.
      const lines: [number, string][] = [];
      for (const [i, r] of inWindow.entries()) {
        const ms = r.at.getTime() + (i * 37) % 1000;
        lines.push([ms, logLine(ms, r.ip, r.port, r.domain, r.qtype)]);
        for (let k = 1; k <= 3; k++) {
          const extra = r.at.getTime() + (i * 37 + k * 211) % 1000;
          lines.push([extra, logLine(extra, "192.168.238.77", 5000 + k, "missed.example", "A")]);
        }
      }
      lines.sort((a, b) => a[0] - b[0]);
      const log = join(dir, "queries.log");
      await Deno.writeTextFile(log, lines.map((l) => l[1]).join("\n") + "\n");
      const ingest = await db.run(["ingest", log], env);
      assert.equal(ingest.code, 0, ingest.stderr);
      assert.equal(ingest.json?.rows, lines.length);

      const [w] = await db.sql`select count(*)::int as n,
        count(*) filter (where origin = 'seed')::int as seed from dns_queries
        where queried_at >= ${windowStart} and queried_at < ${windowEnd} and node_id = 1`;
      assert.deepEqual({ ...w }, { n: lines.length, seed: 0 }, "one row per logged query");
      const [rest] = await db.sql`select count(*)::int as n from dns_queries where origin = 'seed'`;
      assert.equal(rest.n, ROWS - inWindow.length, "the seed's rows elsewhere stay");
      const [other] = await db.sql`select count(*)::int as n from dns_queries
        where queried_at >= ${windowStart} and queried_at < ${windowEnd} and node_id = 2`;
      assert.ok(other.n > 0, "another node's seed rows are not this log's to replace");

      // A second migrate is a no-op.
      const again = await db.run(["migrate"], env);
      assert.equal(again.code, 0, again.stderr);
      const [total] = await db.sql`select count(*)::int as n from dns_queries`;
      assert.equal(total.n, ROWS - inWindow.length + lines.length);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await viewer.drop();
      await db.drop();
    }
  },
});

Deno.test({
  name: "seed: a seed database with duplicate node names is refused, unchanged",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await createTestDb();
    try {
      await db.sql.unsafe(await Deno.readTextFile(SEED_SCHEMA));
      await db.sql`insert into dns_nodes (node_name, node_ip, location, network)
        values ('home-dns1', '192.168.238.129', 'again', '192.168.238.0/24')`;
      const r = await db.run(["migrate"], { DNSA_NODE: "home-dns1" });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /home-dns1.*2 times/);
      const [t] = await db.sql`select count(*)::int as n from dns_nodes`;
      assert.equal(t.n, 3);
      const [m] = await db.sql`select to_regclass('schema_migrations') is null as none`;
      assert.equal(m.none, true, "nothing was changed");
    } finally {
      await db.drop();
    }
  },
});
