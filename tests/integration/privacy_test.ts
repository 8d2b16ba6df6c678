/**
 * Privacy by configuration on the real BIND 9.18 fixtures and the running PostgreSQL:
 * hash mode leaves no client address anywhere (every table and column, reject samples, the
 * program's log lines) and keeps top-clients counts; truncate mode stores /24 networks whose
 * counts equal the log's; exclusions are absent and counted; apex detail; the tier rewrite;
 * the statistics-only token and the dns_reader privileges.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import postgres from "postgres";
import { migrate, MIGRATIONS } from "../../lib/db/migrate.ts";
import { pseudonymOf } from "../../lib/privacy/client_ip.ts";
import { createHandler } from "../../lib/http/router.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { createLogger } from "../../lib/log.ts";
import { apexDomain, normalizeDomain } from "../../lib/domain.ts";
import { createTestDb, type RunResult, type TestDb } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));
const KEY_TEXT = "6f1d0c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0";
const KEY = new TextEncoder().encode(KEY_TEXT);

/** Every query line of the fixture: client address and stored name. */
const LOG = new TextDecoder().decode(gunzipSync(await Deno.readFile(QUERIES)));
const LINE = /client @0x[0-9a-f]+ (\S+)#\d+ \([^)]*\): (?:view \S+: )?query: (\S+) /;
const queries = LOG.split("\n").filter((l) => l !== "").map((l) => {
  const m = LINE.exec(l)!;
  return { client: m[1], domain: normalizeDomain(m[2]) };
});
const ERROR_LINES = (await Deno.readTextFile(ERRORS)).split("\n").filter((l) => l !== "");
const CLIENTS = [...new Set(queries.map((q) => q.client))];

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r;
}

async function keyFile(): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-privacy-" });
  const path = join(dir, "client-ip.key");
  await Deno.writeTextFile(path, KEY_TEXT + "\n");
  return { dir, path };
}

/** A regex that finds `addr` as a whole address in text. */
function addressPattern(addr: string): string {
  const esc = addr.replace(/[.:]/g, (c) => `\\${c}`);
  return addr.includes(":")
    ? `(^|[^0-9a-fA-F:])${esc}([^0-9a-fA-F:]|$)`
    : `(^|[^0-9.])${esc}([^0-9]|$)`;
}

/**
 * Every (table, column) of text, inet, cidr, bytea, jsonb (and arrays of them) in the schema
 * whose values contain one of `addresses`; server_ip is the server's own address (the
 * fixture's server is also ::1 and 127.0.0.1) and is not a client's.
 */
async function findAddresses(sql: postgres.Sql, addresses: string[]): Promise<string[]> {
  const cols = await sql<{ t: string; c: string; type: string }[]>`
    select c.relname as t, a.attname as c, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and a.attnum > 0
      and not a.attisdropped and c.relispartition is false
      and format_type(a.atttypid, a.atttypmod) ~ '^(text|inet|cidr|bytea|jsonb|character varying)'
      and a.attname <> 'server_ip'`;
  assert.ok(cols.length > 20, "the scan reaches the schema's columns");
  const found: string[] = [];
  for (const { t, c, type } of cols) {
    const value = type.startsWith("bytea") ? `encode("${c}", 'escape')` : `"${c}"::text`;
    for (const addr of addresses) {
      const [{ n }] = await sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from "${t}" where ${value} ~ $1`,
        [addressPattern(addr)],
      );
      if (n > 0) found.push(`${t}.${c} holds ${addr} (${n} rows)`);
    }
  }
  return found;
}

async function topClients(db: TestDb, env: Record<string, string>) {
  const r = ok(
    await db.run(["report", "top-clients", "--format", "json", "--limit", "100"], env),
    "report",
  );
  return JSON.parse(r.stdout) as { client_ip: string; hit_count: number }[];
}

Deno.test("hash mode: no client address anywhere, same top-clients counts, same pseudonyms on two nodes", async () => {
  const full = await createTestDb();
  const h1 = await createTestDb();
  const h2 = await createTestDb();
  const key = await keyFile();
  try {
    // A rejected line that holds a client address.
    const bad = join(key.dir, "bad.log");
    await Deno.writeTextFile(
      bad,
      "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.12#35728 (x.example): query: x.example IN\n",
    );
    ok(await full.run(["ingest", QUERIES, ERRORS]), "full ingest");
    ok(await full.run(["rollup"]), "full rollup");
    const hash = { DNSA_CLIENT_IP: "hash", DNSA_CLIENT_IP_KEY_FILE: key.path };
    const logs: string[] = [];
    const a = ok(
      await h1.run(["ingest", QUERIES, ERRORS, bad], { ...hash, DNSA_NODE: "dns1" }),
      "ingest",
    );
    assert.equal(a.json!.rows, truth.expected_queries_log_lines);
    assert.equal(a.json!.rejected, 1);
    assert.equal(a.json!.excluded, 0);
    logs.push(a.stdout, a.stderr);
    for (const args of [["rollup"], ["report", "top-domains"], ["retention"]]) {
      const r = ok(await h1.run(args, { ...hash, DNSA_NODE: "dns1" }), args[0]);
      logs.push(r.stdout, r.stderr);
    }
    // A second node with the same key, that federates the first.
    const b = ok(
      await h2.run(["ingest", QUERIES, ERRORS], { ...hash, DNSA_NODE: "dns2" }),
      "ingest 2",
    );
    logs.push(b.stdout, b.stderr);
    const env2 = { ...hash, DNSA_NODE: "dns2", DNSA_PEERS: `dns1=${h1.url}` };
    for (const args of [["rollup"], ["federate"]]) {
      const r = ok(await h2.run(args, env2), args[0]);
      logs.push(r.stdout, r.stderr);
    }

    // top-clients: the same counts as in full mode, keyed by pseudonym.
    const fullTop = await topClients(full, {});
    const hashTop = await topClients(h1, { ...hash, DNSA_NODE: "dns1" });
    assert.equal(hashTop.length, CLIENTS.length);
    assert.deepEqual(
      Object.fromEntries(hashTop.map((r) => [r.client_ip, Number(r.hit_count)])),
      Object.fromEntries(fullTop.map((r) => [pseudonymOf(KEY, r.client_ip), Number(r.hit_count)])),
    );
    for (const r of hashTop) assert.match(r.client_ip, /^100::/);

    // The same address gets the same pseudonym on both nodes (dns1's rows came by federation).
    const perNode = await h2.sql<{ node_name: string; clients: string[] }[]>`
      select node_name, array_agg(distinct host(client_ip) order by host(client_ip)) as clients
      from dns_daily_clients group by node_name order by node_name`;
    assert.deepEqual(perNode.map((r) => r.node_name), ["dns1", "dns2"]);
    assert.deepEqual(perNode[0].clients, perNode[1].clients);

    // No table or column, reject sample or log line holds a client address of the log.
    for (const db of [h1, h2]) assert.deepEqual(await findAddresses(db.sql, CLIENTS), []);
    const [sample] = await h1.sql`select convert_from(sample, 'UTF8') as s from ingest_rejects`;
    assert.match(
      sample.s,
      new RegExp(`${pseudonymOf(KEY, "127.0.0.12")!.replace(/:/g, ":")}#35728`),
    );
    const text = logs.join("\n");
    for (const c of CLIENTS) assert.ok(!new RegExp(addressPattern(c)).test(text), c);
    // The key is nowhere in the database.
    const [{ n }] = await h1.sql.unsafe<{ n: number }[]>(
      "select count(*)::int as n from ingest_rejects where position($1::bytea in sample) > 0",
      [KEY],
    );
    assert.equal(n, 0);
    // Unique clients stay exact: per pseudonym, as many as addresses.
    const [u] = await h1.sql`select max(unique_clients)::int as n from dns_daily_totals`;
    const [uf] = await full.sql`select max(unique_clients)::int as n from dns_daily_totals`;
    assert.equal(u.n, uf.n);
  } finally {
    await Promise.all([full.drop(), h1.drop(), h2.drop()]);
    await Deno.remove(key.dir, { recursive: true });
  }
});

/** Decompress a dnstap fixture capture into `dir`. */
async function unxz(name: string, dir: string): Promise<string> {
  const out = await new Deno.Command("xz", {
    args: ["-dc", join(FIXTURES, `${name}.xz`)],
    stdout: "piped",
  }).output();
  assert.ok(out.success, `xz -dc ${name}.xz`);
  const path = join(dir, name);
  await Deno.writeFile(path, out.stdout);
  return path;
}

Deno.test("hash mode over dnstap: no client address anywhere, same top-clients counts", async () => {
  const full = await createTestDb();
  const hashed = await createTestDb();
  const key = await keyFile();
  try {
    const files = [
      await unxz("dnstap-1.fstrm", key.dir),
      await unxz("dnstap-2.fstrm", key.dir),
    ];
    const base = { DNSA_NODE: "dns1", DNSA_SOURCE: "dnstap" };
    const f = ok(await full.run(["ingest", ...files], base), "full ingest");
    ok(await full.run(["rollup"], base), "full rollup");
    // The capture's clients, as full mode stores them.
    const clients = (await full.sql<{ c: string }[]>`
      select distinct host(client_ip) as c from dns_queries`).map((r) => r.c);
    assert.ok(clients.length > 1, "the capture has clients");

    const env = { ...base, DNSA_CLIENT_IP: "hash", DNSA_CLIENT_IP_KEY_FILE: key.path };
    const logs: string[] = [];
    const h = ok(await hashed.run(["ingest", ...files], env), "hash ingest");
    logs.push(h.stdout, h.stderr);
    assert.equal(h.json!.rows, f.json!.rows);
    assert.equal(h.json!.lines, truth.server_side_dnstap.frames);
    assert.equal(h.json!.excluded, 0);
    for (const args of [["rollup"], ["report", "top-domains"], ["retention"]]) {
      const r = ok(await hashed.run(args, env), args[0]);
      logs.push(r.stdout, r.stderr);
    }

    // Queries and responses were paired as in full mode: the same rows by rcode.
    const byRcode = (db: TestDb) =>
      db.sql`select response_rcode as k, count(*)::int as n from dns_queries
        group by 1 order by 1 nulls first`;
    assert.deepEqual(await byRcode(hashed), await byRcode(full));

    // top-clients: the same counts, keyed by pseudonym.
    const fullTop = await topClients(full, base);
    const hashTop = await topClients(hashed, env);
    assert.equal(hashTop.length, clients.length);
    assert.deepEqual(
      Object.fromEntries(hashTop.map((r) => [r.client_ip, Number(r.hit_count)])),
      Object.fromEntries(fullTop.map((r) => [pseudonymOf(KEY, r.client_ip), Number(r.hit_count)])),
    );
    for (const r of hashTop) assert.match(r.client_ip, /^100::/);

    // No table or column, and no log line, holds a client address of the capture.
    assert.deepEqual(await findAddresses(hashed.sql, clients), []);
    const text = logs.join("\n");
    for (const c of clients) assert.ok(!new RegExp(addressPattern(c)).test(text), c);
    const [u] = await hashed.sql`select max(unique_clients)::int as n from dns_daily_totals`;
    const [uf] = await full.sql`select max(unique_clients)::int as n from dns_daily_totals`;
    assert.equal(u.n, uf.n);
  } finally {
    await Promise.all([full.drop(), hashed.drop()]);
    await Deno.remove(key.dir, { recursive: true });
  }
});

/** The /24 (IPv4) or /56 (IPv6) network of an address, as stored. */
function network(addr: string): string {
  if (!addr.includes(":")) return addr.split(".").slice(0, 3).join(".") + ".0";
  if (addr === "::1") return "::";
  throw new Error(`no IPv6 client but ::1 in the fixture: ${addr}`);
}

Deno.test("truncate mode: every IPv4 client ends in .0; counts per /24 equal the log's", async () => {
  const db = await createTestDb();
  try {
    const env = { DNSA_CLIENT_IP: "truncate" };
    const r = ok(await db.run(["ingest", QUERIES, ERRORS], env), "ingest");
    assert.equal(r.json!.rows, truth.expected_queries_log_lines);
    ok(await db.run(["rollup"], env), "rollup");
    const [v4] = await db.sql`
      select count(*)::int as n, count(*) filter (where host(client_ip) !~ '\\.0$')::int as bad
      from dns_queries where family(client_ip) = 4`;
    assert.ok(v4.n > 0);
    assert.equal(v4.bad, 0);
    const expected: Record<string, number> = {};
    for (const q of queries) expected[network(q.client)] = (expected[network(q.client)] ?? 0) + 1;
    const stored = await db.sql<{ k: string; n: number }[]>`
      select host(client_ip) as k, count(*)::int as n from dns_queries group by 1`;
    assert.deepEqual(Object.fromEntries(stored.map((x) => [x.k, x.n])), expected);
    const top = await topClients(db, env);
    assert.deepEqual(
      Object.fromEntries(top.map((x) => [x.client_ip, Number(x.hit_count)])),
      expected,
    );
    // The error lines are truncated the same way, so every one still joins its query.
    const [e] = await db.sql`
      select count(*) filter (where family(client_ip) = 4 and host(client_ip) !~ '\\.0$')::int as bad,
             count(*) filter (where kind = 'failed' and matched_query_at is null)::int as orphans
      from dns_query_errors`;
    assert.equal(e.bad, 0);
    assert.equal(e.orphans, 0);
    // The ECS subnets the clients sent (41.210.128.0/24, 41.210.0.0/16, 2c0f:fe38:2000::/40)
    // are no longer than the prefixes.
    const [s] = await db.sql`
      select count(*) filter (where masklen(client_subnet) > case when family(client_subnet) = 4
        then 24 else 56 end)::int as long from dns_queries`;
    assert.equal(s.long, 0);
  } finally {
    await db.drop();
  }
});

Deno.test("exclusions: excluded clients' and names' queries absent and counted; apex detail", async () => {
  const db = await createTestDb();
  const apex = await createTestDb();
  try {
    const env = { DNSA_EXCLUDE_CLIENTS: "127.0.0.14/32", DNSA_EXCLUDE_DOMAINS: "*.youtube.com" };
    const gone = (client: string, domain: string) =>
      client === "127.0.0.14" || domain === "youtube.com" || domain.endsWith(".youtube.com");
    const excludedQueries = queries.filter((q) => gone(q.client, q.domain)).length;
    const ERR = /client @0x[0-9a-f]+ (\S+)#\d+ \(([^)]*)\)/;
    const excludedErrors = ERROR_LINES.filter((l) => {
      const m = ERR.exec(l)!;
      return gone(m[1], normalizeDomain(m[2]));
    }).length;
    assert.ok(excludedQueries > 1000 && excludedErrors > 0);
    const r = ok(await db.run(["ingest", QUERIES, ERRORS], env), "ingest");
    assert.equal(r.json!.rows, truth.expected_queries_log_lines - excludedQueries);
    assert.equal(r.json!.excluded, excludedQueries + excludedErrors);
    assert.equal(r.json!.rejected, 0);
    const [q] = await db.sql`
      select count(*) filter (where host(client_ip) = '127.0.0.14')::int as client,
             count(*) filter (where domain = 'youtube.com' or domain like '%.youtube.com')::int as name,
             count(*)::int as n
      from dns_queries`;
    assert.deepEqual([q.client, q.name, q.n], [
      0,
      0,
      truth.expected_queries_log_lines - excludedQueries,
    ]);
    const [e] = await db.sql`
      select count(*)::int as n,
             count(*) filter (where kind = 'failed' and matched_query_at is null)::int as orphans
      from dns_query_errors`;
    assert.equal(e.n, ERROR_LINES.length - excludedErrors);
    assert.equal(e.orphans, 0);
    // Every other query is there, per client.
    const expected: Record<string, number> = {};
    for (const x of queries) {
      if (!gone(x.client, x.domain)) expected[x.client] = (expected[x.client] ?? 0) + 1;
    }
    const byClient = await db.sql<{ k: string; n: number }[]>`
      select host(client_ip) as k, count(*)::int as n from dns_queries group by 1`;
    assert.deepEqual(Object.fromEntries(byClient.map((x) => [x.k, x.n])), expected);

    // Apex detail: only registrable domains are stored; per-apex counts are the log's.
    const a = ok(
      await apex.run(["ingest", QUERIES, ERRORS], { DNSA_DOMAIN_DETAIL: "apex" }),
      "ingest",
    );
    assert.equal(a.json!.rows, truth.expected_queries_log_lines);
    const [d] = await apex.sql`
      select count(*) filter (where domain is distinct from apex_domain)::int as n from dns_queries`;
    assert.equal(d.n, 0);
    const perApex: Record<string, number> = {};
    for (const x of queries) {
      perApex[apexDomain(x.domain)] = (perApex[apexDomain(x.domain)] ?? 0) + 1;
    }
    const stored = await apex.sql<{ k: string; n: number }[]>`
      select domain as k, count(*)::int as n from dns_queries group by 1`;
    assert.deepEqual(Object.fromEntries(stored.map((x) => [x.k, x.n])), perApex);
    const [o] = await apex.sql`
      select count(*)::int as n from dns_query_errors where kind = 'failed' and matched_query_at is null`;
    assert.equal(o.n, 0, "error lines store the apex too, and still join");
  } finally {
    await Promise.all([db.drop(), apex.drop()]);
  }
});

Deno.test("tiers: a day older than DNSA_CLIENT_IP_FULL_DAYS has no full address left and the same statistics", async () => {
  const db = await createTestDb();
  const key = await keyFile();
  try {
    // The fixture's day is 2026-11-25; "now" is 3 days later, the tier keeps 1 day in full.
    const env = {
      DNSA_CLIENT_IP: "hash",
      DNSA_CLIENT_IP_KEY_FILE: key.path,
      DNSA_CLIENT_IP_FULL_DAYS: "1",
    };
    ok(await db.run(["ingest", QUERIES, ERRORS], env), "ingest");
    const [full] = await db
      .sql`select count(*)::int as n from dns_queries where not client_ip << '100::/64'`;
    assert.equal(full.n, truth.expected_queries_log_lines, "ingest keeps full addresses in a tier");
    ok(await db.run(["rollup"], env), "rollup");
    const statsBefore = await db.sql`
      select stat_date::text, domain, qtype, hit_count::int, unique_clients, nxdomain_count::int,
        servfail_count::int from dns_daily_stats order by 1, 2, 3`;
    const clientsBefore = await db.sql<{ client_ip: string; hit_count: number }[]>`
      select host(client_ip) as client_ip, hit_count::int from dns_daily_clients`;

    const { retention } = await import("../../jobs/retention.ts");
    const { loadConfig } = await import("../../lib/config.ts");
    const config = loadConfig({
      env: {
        DATABASE_URL: db.url,
        DNSA_LOG_TZ: "UTC",
        DNSA_NODE: "test",
        DNSA_RETENTION_DAYS: "30",
        ...env,
      },
    });
    const lines: string[] = [];
    const log = createLogger({ level: "info", write: (l) => lines.push(l) });
    const ctx = { config, sql: db.sql as never, copy: true, log, close: async () => {} };
    const run = await retention(ctx, { now: new Date("2026-11-28T12:00:00Z") });
    assert.deepEqual(run.detail!.privacy_rewritten_days, ["2026-11-25"]);
    const [recorded] = await db.sql`
      select detail from job_runs where job = 'retention' order by id desc limit 1`;
    assert.deepEqual(recorded.detail.privacy_rewritten_days, ["2026-11-25"]);
    assert.equal(recorded.detail.privacy_rewritten_rows, truth.expected_queries_log_lines);

    const [left] = await db
      .sql`select count(*)::int as n from dns_queries where not client_ip << '100::/64'`;
    assert.equal(left.n, 0);
    assert.deepEqual(await findAddresses(db.sql, CLIENTS), []);
    const statsAfter = await db.sql`
      select stat_date::text, domain, qtype, hit_count::int, unique_clients, nxdomain_count::int,
        servfail_count::int from dns_daily_stats order by 1, 2, 3`;
    assert.deepEqual(statsAfter, statsBefore);
    const clientsAfter = await db.sql<{ client_ip: string; hit_count: number }[]>`
      select host(client_ip) as client_ip, hit_count::int from dns_daily_clients`;
    assert.deepEqual(
      Object.fromEntries(clientsAfter.map((r) => [r.client_ip, r.hit_count])),
      Object.fromEntries(clientsBefore.map((r) => [pseudonymOf(KEY, r.client_ip), r.hit_count])),
    );
    // The rewritten partition is still the day's partition, and a second run leaves it.
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries_p20261125`;
    assert.equal(n, truth.expected_queries_log_lines);
    const again = await retention(ctx, { now: new Date("2026-11-28T12:00:00Z") });
    assert.deepEqual(again.detail!.privacy_rewritten_days, []);
  } finally {
    await db.drop();
    await Deno.remove(key.dir, { recursive: true });
  }
});

Deno.test("truncate tier in SQL: the same networks as truncation at ingest", async () => {
  const tier = await createTestDb();
  const direct = await createTestDb();
  try {
    const env = { DNSA_CLIENT_IP: "truncate", DNSA_CLIENT_IP_PREFIX: "24,56" };
    ok(await direct.run(["ingest", QUERIES, ERRORS], env), "ingest");
    ok(
      await tier.run(["ingest", QUERIES, ERRORS], { ...env, DNSA_CLIENT_IP_FULL_DAYS: "1" }),
      "ingest",
    );
    const { retention } = await import("../../jobs/retention.ts");
    const { loadConfig } = await import("../../lib/config.ts");
    const config = loadConfig({
      env: {
        DATABASE_URL: tier.url,
        DNSA_LOG_TZ: "UTC",
        DNSA_NODE: "test",
        DNSA_CLIENT_IP_FULL_DAYS: "1",
        ...env,
      },
    });
    const log = createLogger({ level: "error", write: () => {} });
    const ctx = { config, sql: tier.sql as never, copy: true, log, close: async () => {} };
    await retention(ctx, { now: new Date("2026-11-28T12:00:00Z") });
    const q = (db: TestDb) =>
      db.sql`select host(client_ip) as c, coalesce(client_subnet::text, '-') as s, count(*)::int as n
        from dns_queries group by 1, 2 order by 1, 2`;
    assert.deepEqual(await q(tier), await q(direct));
    const e = (db: TestDb) =>
      db.sql`select host(client_ip) as c, count(*)::int as n from dns_query_errors group by 1 order by 1`;
    assert.deepEqual(await e(tier), await e(direct));
  } finally {
    await Promise.all([tier.drop(), direct.drop()]);
  }
});

Deno.test("statistics-only token: 403 on client data, 200 on aggregates, every client request logged", async () => {
  const db = await createTestDb();
  try {
    ok(await db.run(["ingest", QUERIES, ERRORS]), "ingest");
    ok(await db.run(["rollup"]), "rollup");
    const lines: string[] = [];
    const handler = createHandler({
      sql: db.sql,
      config: {
        node: "test",
        logTz: "UTC",
        source: "querylog",
        httpToken: "admin-secret-1",
        httpStatsToken: "stats-secret-1",
      },
      metrics: new MetricsRecorder({ source: "querylog" }),
      log: createLogger({ level: "info", write: (l) => lines.push(l) }),
      assets: new Map(),
      now: () => new Date("2026-11-26T00:00:00Z"),
    });
    const get = async (path: string, token: string) => {
      const res = await handler(
        new Request(`http://127.0.0.1:8053${path}`, {
          headers: { authorization: `Bearer ${token}` },
        }),
      );
      await res.body?.cancel();
      return res.status;
    };
    const range = "from=2026-11-25&to=2026-11-25";
    const client = [`/api/client?ip=127.0.0.10&${range}`, `/api/reports/top-clients?${range}`];
    const aggregate = [
      `/api/reports/top-domains?${range}`,
      `/api/reports/top-apex-domains?${range}`,
      `/api/domain?name=youtube.com&${range}`,
      "/api/nodes",
      "/metrics",
    ];
    for (const p of client) assert.equal(await get(p, "stats-secret-1"), 403, p);
    for (const p of aggregate) assert.equal(await get(p, "stats-secret-1"), 200, p);
    for (const p of [...client, ...aggregate]) assert.equal(await get(p, "admin-secret-1"), 200, p);
    assert.equal(await get("/api/nodes", "wrong"), 401);
    const records = lines.map((l) => JSON.parse(l)).filter((r) => /client data/.test(r.msg));
    assert.deepEqual(
      records.map((r) => [r.msg, r.token, r.path]),
      [
        ["http: client data refused", "stats", "/api/client"],
        ["http: client data refused", "stats", "/api/reports/top-clients"],
        ["http: client data read", "admin", "/api/client"],
        ["http: client data read", "admin", "/api/reports/top-clients"],
      ],
    );
    assert.deepEqual(records[2].filter, { ip: "127.0.0.10", from: "2026-11-25", to: "2026-11-25" });
    assert.ok(!lines.join("").includes("secret-1"), "tokens are never logged");
  } finally {
    await db.drop();
  }
});

Deno.test("dns_reader reads statistics, never raw queries, also of partitions made later", async () => {
  const db = await createTestDb();
  const role = `dnsa_reader_${Date.now().toString(36)}`;
  const admin = postgres(Deno.env.get("DNSA_TEST_DATABASE_URL")!, { max: 1, onnotice: () => {} });
  try {
    // As deploy/postgres-setup.sql: default privileges give the reader every new table.
    await db.sql.unsafe(`create role ${role} login password 'reader-pw-20'`);
    await db.sql.unsafe(`grant usage on schema public to ${role}`);
    await db.sql.unsafe(
      `alter default privileges in schema public grant select on tables to ${role}`,
    );
    await migrate(db.sql, { migrations: MIGRATIONS.filter((m) => m.version < 22) });
    await db.sql`insert into dnsa_settings (key, value) values ('reader_role', ${role})`;
    await db.sql`select dnsa_ensure_day_partition('2026-11-24', 'UTC')`;
    await migrate(db.sql);
    ok(await db.run(["ingest", QUERIES, ERRORS]), "ingest"); // creates 2026-11-25 and later
    ok(await db.run(["rollup"]), "rollup");
    const u = new URL(db.url);
    u.username = role;
    u.password = "reader-pw-20";
    const reader = postgres(u.toString(), { max: 1, onnotice: () => {} });
    try {
      for (const t of ["dns_daily_stats", "dns_daily_clients", "dns_daily_totals", "dns_nodes"]) {
        await reader.unsafe(`select count(*) from ${t}`);
      }
      for (
        const t of [
          "dns_queries",
          "dns_queries_p20261124",
          "dns_queries_p20261125",
          "dns_query_errors",
          "ingest_rejects",
          "dnstap_pending",
        ]
      ) {
        await assert.rejects(reader.unsafe(`select count(*) from ${t}`), { code: "42501" }, t);
      }
    } finally {
      await reader.end({ timeout: 5 });
    }
  } finally {
    await db.drop();
    await admin.unsafe(`drop owned by ${role}`).catch(() => {});
    await admin.unsafe(`drop role if exists ${role}`).catch(() => {});
    await admin.end({ timeout: 5 });
  }
});
