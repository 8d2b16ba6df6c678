/**
 * Rollup, reports and retention on PostgreSQL: statistics checked against hand-computed rows
 * and against the fixture's ground truth, re-runs, late data, unique clients across days and
 * nodes, retention of raw partitions and statistics, the rollup lock and job_runs.
 *
 * Needs DNSA_TEST_DATABASE_URL (see pg.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { loadConfig } from "../../lib/config.ts";
import type { JobContext } from "../../lib/context.ts";
import { createLogger } from "../../lib/log.ts";
import { ROLLUP_LOCK, rollupStatistics, STATISTICS_TABLES } from "../../lib/rollup/rollup.ts";
import { WindowReader } from "../../lib/rollup/read_thread.ts";
import { ROLLUP_SQL } from "../../lib/db/statements.ts";
import { rollup as rollupJob } from "../../jobs/rollup.ts";
import { NO_DELAY_OPTIONS } from "../../lib/db/socket.ts";
import { createTestDb, type RunResult, type TestDb } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));

const KAMPALA = { DNSA_LOG_TZ: "Africa/Kampala" };

// ---------------------------------------------------------------------------------------------
// Log lines in BIND 9.18's shapes (as in tests/fixtures/bind-9.18).

const MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `2026-11-25 23:05:00.000` (wall time of the log's zone) → `25-Nov-2026 23:05:00.000`. */
function bindTime(wall: string): string {
  const [date, time] = wall.split(" ");
  const [y, m, d] = date.split("-");
  return `${d}-${MON[Number(m) - 1]}-${y} ${time}`;
}

function clientHead(wall: string, ip: string, port: number, name: string): string {
  return `${bindTime(wall)} client @0x7f0a1c0010a8 ${ip}#${port} (${name}):`;
}

/** A query-log line. */
function queryLine(wall: string, ip: string, port: number, name: string, type: string): string {
  const server = ip.includes(":") ? "::1" : "127.0.0.1";
  return `${clientHead(wall, ip, port, name)} query: ${name} IN ${type} +E(0) (${server})`;
}

/** A `query failed (REASON)` line of the query-errors log. */
function failedLine(
  wall: string,
  ip: string,
  port: number,
  name: string,
  type: string,
  reason: string,
): string {
  const at = reason === "REFUSED" ? 5708 : reason === "SERVFAIL" ? 7177 : 7916;
  return `${
    clientHead(wall, ip, port, name)
  } query failed (${reason}) for ${name}/IN/${type} at query.c:${at}`;
}

/** An RRL error-response line of the query-errors log. */
function rateLimitLine(wall: string, ip: string, port: number, name: string): string {
  const net = ip.split(".").slice(0, 3).join(".") + ".0/24";
  return `${clientHead(wall, ip, port, name)} rate limit drop SERVFAIL error response to ${net}`;
}

async function writeLog(dir: string, name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

// ---------------------------------------------------------------------------------------------
// Reading the database.

/** Rows with Dates as ISO strings (UTC) and everything else as is. */
function plain<T>(rows: readonly Record<string, unknown>[]): T[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) out[k] = v instanceof Date ? v.toISOString() : v;
    return out as T;
  });
}

/** The full contents of every statistics table, each row as JSON text, sorted. */
async function snapshot(
  sql: postgres.Sql,
  where: Partial<Record<(typeof STATISTICS_TABLES)[number], string>> = {},
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of STATISTICS_TABLES) {
    const w = where[t] ? ` where ${where[t]}` : "";
    const rows = await sql.unsafe<{ j: string }[]>(
      `select to_jsonb(t)::text as j from ${t} t${w} order by 1`,
    );
    out[t] = rows.map((r) => r.j);
  }
  return out;
}

async function count(sql: postgres.Sql, text: string): Promise<number> {
  const [r] = await sql.unsafe<{ n: number }[]>(`select (${text})::int as n`);
  return r.n;
}

function ok(r: RunResult, what: string): Record<string, unknown> {
  assert.equal(r.code, 0, `${what} failed:\n${r.stderr}\n${r.stdout}`);
  assert.ok(r.json, `${what}: no JSON summary on stdout:\n${r.stdout}`);
  return r.json;
}

/** `report NAME --format json ...`, parsed. */
async function report<T>(
  db: TestDb,
  args: string[],
  env: Record<string, string> = {},
): Promise<T[]> {
  const r = await db.run(["report", ...args, "--format", "json"], env);
  assert.equal(r.code, 0, `report ${args.join(" ")} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as T[];
}

/** An instant of a wall time in Africa/Kampala (UTC+3, no DST), as ISO UTC. */
function kla(wall: string): string {
  return new Date(`${wall.replace(" ", "T")}+03:00`).toISOString();
}

/** The rcode split with the three counts the query log can give (others are 0). */
function rc(servfail: number, refused: number, unknown: number) {
  return { noerror: 0, nxdomain: 0, servfail, refused, other: 0, unknown };
}

const RC_COLUMNS = `noerror_count::int as noerror, nxdomain_count::int as nxdomain,
  servfail_count::int as servfail, refused_count::int as refused, other_count::int as other,
  unknown_count::int as unknown`;

// ---------------------------------------------------------------------------------------------
// 1. Hand-computed statistics across a local midnight.

// Clients.
const A = "10.1.1.1", B = "10.1.1.2", C = "10.1.1.3", D = "2001:db8::d", O = "10.1.1.9";
const D1 = "2026-11-25", D2 = "2026-11-26";

/** Queries of 25-Nov 23:xx and 26-Nov 00:xx, Africa/Kampala wall time. */
const HAND_QUERIES = [
  queryLine(`${D1} 23:05:00.000`, A, 1001, "www.example.com", "A"), //  1
  queryLine(`${D1} 23:06:00.000`, A, 1001, "www.example.com", "A"), //  2
  queryLine(`${D1} 23:07:00.000`, B, 2001, "www.example.com", "A"), //  3
  queryLine(`${D1} 23:08:00.000`, B, 2002, "www.example.com", "AAAA"), //  4
  queryLine(`${D1} 23:09:00.000`, C, 3001, "WWW.Example.COM", "A"), //  5 (case folded)
  queryLine(`${D1} 23:10:00.000`, A, 1002, "api.example.com", "HTTPS"), //  6
  queryLine(`${D1} 23:11:00.000`, C, 3002, "api.example.com", "HTTPS"), //  7
  queryLine(`${D1} 23:20:00.000`, B, 2003, "bad.dead.co.ug", "A"), //  8 failure → SERVFAIL
  queryLine(`${D1} 23:30:00.000`, D, 4001, "youtube.com", "A"), //  9 REFUSED
  queryLine(`${D1} 23:31:00.000`, D, 4002, "youtube.com", "AAAA"), // 10
  queryLine(`${D1} 23:40:00.000`, A, 1003, "mail.example.co.ug", "MX"), // 11
  queryLine(`${D1} 23:45:00.000`, B, 2005, "youtube.com", "A"), // 12
  queryLine(`${D1} 23:50:00.000`, A, 1006, "youtube.com", "A"), // 13
  queryLine(`${D1} 23:59:59.990`, C, 3003, "late.example.com", "A"), // 14 failure after 00:00
  queryLine(`${D2} 00:01:00.000`, A, 1004, "www.example.com", "A"), // 15
  queryLine(`${D2} 00:02:00.000`, D, 4003, "www.example.com", "A"), // 16
  queryLine(`${D2} 00:03:00.000`, B, 2004, "youtube.com", "A"), // 17
  queryLine(`${D2} 00:04:00.000`, B, 2004, "youtube.com", "A"), // 18 same again: own row
  queryLine(`${D2} 00:05:00.000`, C, 3004, "bad.dead.co.ug", "AAAA"), // 19 cached SERVFAIL
  queryLine(`${D2} 00:06:00.000`, A, 1005, "api.example.com", "HTTPS"), // 20
  queryLine(`${D2} 00:07:00.000`, D, 4004, "mail.example.co.ug", "MX"), // 21
  queryLine(`${D2} 00:10:00.000`, C, 3006, "www.example.com", "AAAA"), // 22
  queryLine(`${D2} 00:50:00.000`, C, 3005, "youtube.com", "HTTPS"), // 23
];

const HAND_ERRORS = [
  failedLine(`${D1} 23:20:00.004`, B, 2003, "bad.dead.co.ug", "A", "failure"),
  rateLimitLine(`${D1} 23:20:00.008`, B, 2003, "bad.dead.co.ug"), // never marks a query
  failedLine(`${D1} 23:30:00.000`, D, 4001, "youtube.com", "A", "REFUSED"),
  failedLine(`${D2} 00:00:00.010`, C, 3003, "late.example.com", "A", "failure"),
  failedLine(`${D2} 00:05:00.004`, C, 3004, "bad.dead.co.ug", "AAAA", "SERVFAIL"),
  // No query: an orphan, a failed query of its own.
  failedLine(`${D2} 00:30:00.000`, O, 5001, "ghost.example.com", "TXT", "failure"),
];

Deno.test("rollup: hand-computed statistics across a local midnight (Africa/Kampala), re-runs change nothing", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-rollup-" });
  try {
    const q = await writeLog(dir, "queries.log", HAND_QUERIES);
    const e = await writeLog(dir, "query-errors.log", HAND_ERRORS);
    const ing = ok(await db.run(["ingest", q, e], KAMPALA), "ingest");
    assert.equal(ing.rows, 23);
    assert.equal(ing.rejected, 0);
    const first = ok(await db.run(["rollup"], KAMPALA), "rollup");
    assert.equal(first.status, "ok");
    assert.equal(first.windows, 2);
    assert.equal(first.rows, 24, "23 queries + 1 orphan line read");
    assert.equal(first.first_day, D1);
    assert.equal(first.last_day, D2);
    assert.equal(await count(db.sql, "select count(*) from rollup_dirty"), 0);

    const H23 = kla(`${D1} 23:00:00.000`); // 20:00Z
    const H00 = kla(`${D2} 00:00:00.000`); // 21:00Z

    // dns_hourly_stats: one hour on each local day.
    const hourly = plain(
      await db.sql.unsafe(`
        select stat_hour, node_name, domain, apex_domain, qtype, hit_count::int as hits,
          unique_clients, ${RC_COLUMNS}, first_seen, last_seen
        from dns_hourly_stats order by stat_hour, domain, qtype`),
    );
    const hs = (
      h: string,
      domain: string,
      apex: string,
      qtype: string,
      hits: number,
      clients: number,
      split: ReturnType<typeof rc>,
      first: string,
      last: string,
    ) => ({
      stat_hour: h,
      node_name: "test",
      domain,
      apex_domain: apex,
      qtype,
      hits,
      unique_clients: clients,
      ...split,
      first_seen: kla(first),
      last_seen: kla(last),
    });
    const d1 = (t: string) => `${D1} ${t}`, d2 = (t: string) => `${D2} ${t}`;
    const EX = "example.com";
    const expectedHourly = [
      hs(H23, "api.example.com", EX, "HTTPS", 2, 2, rc(0, 0, 2), d1("23:10"), d1("23:11")),
      hs(H23, "bad.dead.co.ug", "dead.co.ug", "A", 1, 1, rc(1, 0, 0), d1("23:20"), d1("23:20")),
      hs(
        H23,
        "late.example.com",
        EX,
        "A",
        1,
        1,
        rc(1, 0, 0),
        d1("23:59:59.990"),
        d1("23:59:59.990"),
      ),
      hs(
        H23,
        "mail.example.co.ug",
        "example.co.ug",
        "MX",
        1,
        1,
        rc(0, 0, 1),
        d1("23:40"),
        d1("23:40"),
      ),
      hs(H23, "www.example.com", EX, "A", 4, 3, rc(0, 0, 4), d1("23:05"), d1("23:09")),
      hs(H23, "www.example.com", EX, "AAAA", 1, 1, rc(0, 0, 1), d1("23:08"), d1("23:08")),
      hs(H23, "youtube.com", "youtube.com", "A", 3, 3, rc(0, 1, 2), d1("23:30"), d1("23:50")),
      hs(H23, "youtube.com", "youtube.com", "AAAA", 1, 1, rc(0, 0, 1), d1("23:31"), d1("23:31")),
      hs(H00, "api.example.com", EX, "HTTPS", 1, 1, rc(0, 0, 1), d2("00:06"), d2("00:06")),
      hs(H00, "bad.dead.co.ug", "dead.co.ug", "AAAA", 1, 1, rc(1, 0, 0), d2("00:05"), d2("00:05")),
      hs(H00, "ghost.example.com", EX, "TXT", 1, 1, rc(1, 0, 0), d2("00:30"), d2("00:30")),
      hs(
        H00,
        "mail.example.co.ug",
        "example.co.ug",
        "MX",
        1,
        1,
        rc(0, 0, 1),
        d2("00:07"),
        d2("00:07"),
      ),
      hs(H00, "www.example.com", EX, "A", 2, 2, rc(0, 0, 2), d2("00:01"), d2("00:02")),
      hs(H00, "www.example.com", EX, "AAAA", 1, 1, rc(0, 0, 1), d2("00:10"), d2("00:10")),
      hs(H00, "youtube.com", "youtube.com", "A", 2, 1, rc(0, 0, 2), d2("00:03"), d2("00:04")),
      hs(H00, "youtube.com", "youtube.com", "HTTPS", 1, 1, rc(0, 0, 1), d2("00:50"), d2("00:50")),
    ];
    assert.deepEqual(hourly, expectedHourly);

    // dns_daily_stats: the same rows under their local day (the UTC date of both is the 25th),
    // as each local day here has one hour.
    const daily = plain(
      await db.sql.unsafe(`
        select stat_date::text, node_name, domain, apex_domain, qtype, hit_count::int as hits,
          unique_clients, ${RC_COLUMNS}, first_seen, last_seen,
          cardinality(client_hashes) as hashes
        from dns_daily_stats order by stat_date, domain, qtype`),
    );
    assert.deepEqual(
      daily,
      expectedHourly.map(({ stat_hour, ...rest }) => ({
        stat_date: stat_hour === H23 ? D1 : D2,
        ...rest,
        hashes: rest.unique_clients,
      })),
    );

    // dns_daily_domains.
    const domains = plain(
      await db.sql.unsafe(`
        select stat_date::text, domain, apex_domain, hit_count::int as hits, unique_clients,
          ${RC_COLUMNS}, first_seen, last_seen, cardinality(client_hashes) as hashes
        from dns_daily_domains where node_name = 'test' order by stat_date, domain`),
    );
    const dd = (
      date: string,
      domain: string,
      apex: string,
      hits: number,
      clients: number,
      split: ReturnType<typeof rc>,
      first: string,
      last: string,
    ) => ({
      stat_date: date,
      domain,
      apex_domain: apex,
      hits,
      unique_clients: clients,
      ...split,
      first_seen: kla(first),
      last_seen: kla(last),
      hashes: clients,
    });
    assert.deepEqual(domains, [
      dd(D1, "api.example.com", EX, 2, 2, rc(0, 0, 2), d1("23:10"), d1("23:11")),
      dd(D1, "bad.dead.co.ug", "dead.co.ug", 1, 1, rc(1, 0, 0), d1("23:20"), d1("23:20")),
      dd(D1, "late.example.com", EX, 1, 1, rc(1, 0, 0), d1("23:59:59.990"), d1("23:59:59.990")),
      dd(D1, "mail.example.co.ug", "example.co.ug", 1, 1, rc(0, 0, 1), d1("23:40"), d1("23:40")),
      dd(D1, "www.example.com", EX, 5, 3, rc(0, 0, 5), d1("23:05"), d1("23:09")),
      dd(D1, "youtube.com", "youtube.com", 4, 3, rc(0, 1, 3), d1("23:30"), d1("23:50")),
      dd(D2, "api.example.com", EX, 1, 1, rc(0, 0, 1), d2("00:06"), d2("00:06")),
      dd(D2, "bad.dead.co.ug", "dead.co.ug", 1, 1, rc(1, 0, 0), d2("00:05"), d2("00:05")),
      dd(D2, "ghost.example.com", EX, 1, 1, rc(1, 0, 0), d2("00:30"), d2("00:30")),
      dd(D2, "mail.example.co.ug", "example.co.ug", 1, 1, rc(0, 0, 1), d2("00:07"), d2("00:07")),
      dd(D2, "www.example.com", EX, 3, 3, rc(0, 0, 3), d2("00:01"), d2("00:10")),
      dd(D2, "youtube.com", "youtube.com", 3, 2, rc(0, 0, 3), d2("00:03"), d2("00:50")),
    ]);

    // dns_daily_apexes.
    const apexes = plain(
      await db.sql.unsafe(`
        select stat_date::text, apex_domain, hit_count::int as hits, unique_clients,
          unique_domains, ${RC_COLUMNS}
        from dns_daily_apexes order by stat_date, apex_domain`),
    );
    const da = (
      date: string,
      apex: string,
      hits: number,
      clients: number,
      names: number,
      split: ReturnType<typeof rc>,
    ) => ({
      stat_date: date,
      apex_domain: apex,
      hits,
      unique_clients: clients,
      unique_domains: names,
      ...split,
    });
    assert.deepEqual(apexes, [
      da(D1, "dead.co.ug", 1, 1, 1, rc(1, 0, 0)),
      da(D1, "example.co.ug", 1, 1, 1, rc(0, 0, 1)),
      da(D1, EX, 8, 3, 3, rc(1, 0, 7)),
      da(D1, "youtube.com", 4, 3, 1, rc(0, 1, 3)),
      da(D2, "dead.co.ug", 1, 1, 1, rc(1, 0, 0)),
      da(D2, "example.co.ug", 1, 1, 1, rc(0, 0, 1)),
      da(D2, EX, 5, 4, 3, rc(1, 0, 4)),
      da(D2, "youtube.com", 3, 2, 1, rc(0, 0, 3)),
    ]);

    // dns_daily_clients.
    const clients = plain(
      await db.sql.unsafe(`
        select stat_date::text, host(client_ip) as ip, hit_count::int as hits, unique_domains,
          ${RC_COLUMNS}, first_seen, last_seen
        from dns_daily_clients order by stat_date, client_ip`),
    );
    const dc = (
      date: string,
      ip: string,
      hits: number,
      names: number,
      split: ReturnType<typeof rc>,
      first: string,
      last: string,
    ) => ({
      stat_date: date,
      ip,
      hits,
      unique_domains: names,
      ...split,
      first_seen: kla(first),
      last_seen: kla(last),
    });
    assert.deepEqual(clients, [
      dc(D1, A, 5, 4, rc(0, 0, 5), d1("23:05"), d1("23:50")),
      dc(D1, B, 4, 3, rc(1, 0, 3), d1("23:07"), d1("23:45")),
      dc(D1, C, 3, 3, rc(1, 0, 2), d1("23:09"), d1("23:59:59.990")),
      dc(D1, D, 2, 1, rc(0, 1, 1), d1("23:30"), d1("23:31")),
      dc(D2, A, 2, 2, rc(0, 0, 2), d2("00:01"), d2("00:06")),
      dc(D2, B, 2, 1, rc(0, 0, 2), d2("00:03"), d2("00:04")),
      dc(D2, C, 3, 3, rc(1, 0, 2), d2("00:05"), d2("00:50")),
      dc(D2, O, 1, 1, rc(1, 0, 0), d2("00:30"), d2("00:30")),
      dc(D2, D, 2, 2, rc(0, 0, 2), d2("00:02"), d2("00:07")),
    ]);

    // dns_daily_qtypes.
    const qtypes = plain(
      await db.sql.unsafe(`
        select stat_date::text, qtype, hit_count::int as hits, unique_clients, ${RC_COLUMNS}
        from dns_daily_qtypes order by stat_date, qtype`),
    );
    const dq = (
      date: string,
      qtype: string,
      hits: number,
      n: number,
      split: ReturnType<typeof rc>,
    ) => ({ stat_date: date, qtype, hits, unique_clients: n, ...split });
    assert.deepEqual(qtypes, [
      dq(D1, "A", 9, 4, rc(2, 1, 6)),
      dq(D1, "AAAA", 2, 2, rc(0, 0, 2)),
      dq(D1, "HTTPS", 2, 2, rc(0, 0, 2)),
      dq(D1, "MX", 1, 1, rc(0, 0, 1)),
      dq(D2, "A", 4, 3, rc(0, 0, 4)),
      dq(D2, "AAAA", 2, 1, rc(1, 0, 1)),
      dq(D2, "HTTPS", 2, 2, rc(0, 0, 2)),
      dq(D2, "MX", 1, 1, rc(0, 0, 1)),
      dq(D2, "TXT", 1, 1, rc(1, 0, 0)),
    ]);

    // dns_daily_totals and dns_hourly_totals.
    const totals = plain(
      await db.sql.unsafe(`
        select stat_date::text as k, hit_count::int as hits, unique_clients, unique_domains,
          ${RC_COLUMNS}, cardinality(client_hashes) as hashes
        from dns_daily_totals where node_name = 'test' order by 1`),
    );
    assert.deepEqual(totals, [
      { k: D1, hits: 14, unique_clients: 4, unique_domains: 6, ...rc(2, 1, 11), hashes: 4 },
      { k: D2, hits: 10, unique_clients: 5, unique_domains: 6, ...rc(2, 0, 8), hashes: 5 },
    ]);
    const hourTotals = plain(
      await db.sql.unsafe(`
        select stat_hour as k, hit_count::int as hits, unique_clients, unique_domains,
          ${RC_COLUMNS}, cardinality(client_hashes) as hashes
        from dns_hourly_totals where node_name = 'test' order by 1`),
    );
    assert.deepEqual(hourTotals, [
      { k: H23, hits: 14, unique_clients: 4, unique_domains: 6, ...rc(2, 1, 11), hashes: 4 },
      { k: H00, hits: 10, unique_clients: 5, unique_domains: 6, ...rc(2, 0, 8), hashes: 5 },
    ]);

    // A second rollup (nothing pending) and a forced one over both days: identical contents.
    const before = await snapshot(db.sql);
    const second = ok(await db.run(["rollup"], KAMPALA), "second rollup");
    assert.equal(second.windows, 0);
    assert.deepEqual(await snapshot(db.sql), before);
    const forced = ok(
      await db.run(["rollup", "--from", D1, "--to", D2], KAMPALA),
      "rollup --from --to",
    );
    assert.equal(forced.windows, 2);
    assert.equal(forced.rows, 24);
    assert.deepEqual(await snapshot(db.sql), before);
    // A forced day with nothing in it leaves the others alone.
    ok(await db.run(["rollup", "--from", "2026-11-27", "--to", "2026-11-27"], KAMPALA), "empty");
    assert.deepEqual(await snapshot(db.sql), before);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// 2. The fixture: totals against ground_truth.json, a second rollup, top-domains vs raw rows.

type Counted = { k: string; n: number };
const asMap = (rows: readonly Counted[]) => Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));

Deno.test("rollup: the fixture's totals equal the ground truth; a second rollup changes nothing; top-domains equals the raw rows", async () => {
  const db = await createTestDb();
  try {
    ok(await db.run(["ingest", QUERIES, ERRORS]), "ingest");
    const run = ok(await db.run(["rollup"]), "rollup");
    assert.equal(run.status, "ok");
    const derived = truth.queries_log_derived;
    const kinds = truth.query_errors_log.kinds as Record<string, number>;

    const orphans = await count(
      db.sql,
      `select count(*) from dns_query_errors
       where matched_query_at is null and kind in ('failed', 'response')`,
    );
    const [sums] = await db.sql`
      select sum(hit_count)::int as hits, sum(servfail_count)::int as servfail,
        sum(refused_count)::int as refused,
        sum(noerror_count + nxdomain_count + other_count)::int as others,
        sum(unknown_count)::int as unknown
      from dns_daily_stats`;
    assert.equal(sums.hits, truth.expected_queries_log_lines + orphans);
    assert.equal(run.rows, truth.expected_queries_log_lines + orphans);
    // SERVFAIL = `query failed` lines of every reason but REFUSED, joined (or orphans).
    const servfailLines = await count(
      db.sql,
      `select count(*) from dns_query_errors where kind = 'failed' and reason <> 'REFUSED'`,
    );
    assert.equal(servfailLines, kinds["query failed (failure)"] + kinds["query failed (SERVFAIL)"]);
    assert.equal(sums.servfail, servfailLines);
    assert.equal(sums.refused, kinds["query failed (REFUSED)"]);
    assert.equal(sums.others, 0, "the query log never says NOERROR or NXDOMAIN");
    assert.equal(sums.unknown, sums.hits - sums.servfail - sums.refused);

    // Per qtype, from both tables; per client.
    const byQtype = await db.sql<Counted[]>`
      select qtype as k, sum(hit_count)::int as n from dns_daily_qtypes group by 1`;
    assert.deepEqual(asMap(byQtype), derived.by_qtype);
    const byQtypeStats = await db.sql<Counted[]>`
      select qtype as k, sum(hit_count)::int as n from dns_daily_stats group by 1`;
    assert.deepEqual(asMap(byQtypeStats), derived.by_qtype);
    const byClient = await db.sql<Counted[]>`
      select host(client_ip) as k, sum(hit_count)::int as n from dns_daily_clients group by 1`;
    assert.deepEqual(asMap(byClient), derived.by_client_ip);
    // Every statistics table sums to the same total.
    for (const t of STATISTICS_TABLES.filter((t) => t !== "dns_domains_seen")) {
      assert.equal(
        await count(db.sql, `select sum(hit_count) from ${t}`),
        sums.hits,
        `sum(hit_count) of ${t}`,
      );
    }
    const [tot] = await db.sql`
      select unique_clients, unique_domains from dns_daily_totals`;
    assert.equal(tot.unique_clients, Object.keys(derived.by_client_ip).length);
    assert.equal(tot.unique_domains, derived.distinct_qnames_lowercased_no_trailing_dot);

    // A second rollup, and a forced one: the same contents.
    const before = await snapshot(db.sql);
    ok(await db.run(["rollup"]), "second rollup");
    assert.deepEqual(await snapshot(db.sql), before);
    ok(await db.run(["rollup", "--from", "2026-11-25", "--to", "2026-11-25"]), "forced rollup");
    assert.deepEqual(await snapshot(db.sql), before);
    // The same rows whichever thread reads the window, in batches of any size: batches of 200
    // rows make many COPYs per table, fill the writer's queue and wait for the reading
    // thread's acknowledgements.
    for (
      const o of [{ readerThread: false }, { batchRows: 200 }, {
        batchRows: 200,
        readerThread: false,
      }]
    ) {
      const r = await rollupStatistics(db.sql, {
        tz: "UTC",
        from: "2026-11-25",
        to: "2026-11-25",
        ...o,
      });
      assert.equal(r.rows, sums.hits, JSON.stringify(o));
      assert.deepEqual(await snapshot(db.sql), before, JSON.stringify(o));
    }
    // A pool whose connections may use TLS ("prefer") reads through the driver's COPY stream,
    // not the socket tap (plain here: the test server may have no TLS); same rows, on either
    // thread, with pauses of the stream while batches wait.
    const maybeTls = postgres(db.url, {
      max: 2,
      ssl: "prefer",
      onnotice: () => {},
      ...NO_DELAY_OPTIONS,
    });
    try {
      for (const readerThread of [true, false]) {
        const r = await rollupStatistics(maybeTls, {
          tz: "UTC",
          from: "2026-11-25",
          to: "2026-11-25",
          batchRows: 200,
          readerThread,
        });
        assert.equal(r.rows, sums.hits, `ssl prefer, reader thread ${readerThread}`);
        assert.deepEqual(
          await snapshot(db.sql),
          before,
          `ssl prefer, reader thread ${readerThread}`,
        );
      }
    } finally {
      await maybeTls.end({ timeout: 5 });
    }

    // top-domains from the statistics equals the raw rows grouped by domain.
    type Top = {
      domain: string;
      hit_count: number;
      unique_clients: number;
      unique_clients_error_pct: number;
      servfail_count: number;
      refused_count: number;
      first_seen: string;
      last_seen: string;
    };
    const top = await report<Top>(db, [
      "top-domains",
      "--limit",
      "1000",
      "--from",
      "2026-11-25",
      "--to",
      "2026-11-25",
    ]);
    const raw = await db.sql<Top[]>`
      with t as (
        select queried_at as at, domain, client_ip, response_rcode as rc from dns_queries
        union all
        select logged_at, domain, client_ip, response_rcode from dns_query_errors
        where matched_query_at is null and kind in ('failed', 'response')
      )
      select domain, count(*)::int as hit_count, count(distinct client_ip)::int as unique_clients,
        0 as unique_clients_error_pct,
        count(*) filter (where rc = 'SERVFAIL')::int as servfail_count,
        count(*) filter (where rc = 'REFUSED')::int as refused_count,
        to_char(min(at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"') as first_seen,
        to_char(max(at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"') as last_seen
      from t where domain is not null
      group by domain order by hit_count desc, domain limit 1000`;
    assert.equal(top.length, 1000);
    assert.deepEqual(
      top.map((r) => ({
        domain: r.domain,
        hit_count: r.hit_count,
        unique_clients: r.unique_clients,
        unique_clients_error_pct: r.unique_clients_error_pct,
        servfail_count: r.servfail_count,
        refused_count: r.refused_count,
        first_seen: r.first_seen,
        last_seen: r.last_seen,
      })),
      [...raw],
    );
  } finally {
    await db.drop();
  }
});

Deno.test("rollup: when the worker thread cannot start, the window is read on the main thread, same rows", async () => {
  const db = await createTestDb();
  try {
    ok(await db.run(["ingest", QUERIES, ERRORS]), "ingest");
    ok(await db.run(["rollup"]), "rollup");
    const before = await snapshot(db.sql);
    const [node] = await db.sql<{ node_id: number }[]>`
      select node_id from dns_nodes where node_name = 'test'`;
    const lo = new Date("2026-11-25T00:00:00Z"), hi = new Date("2026-11-26T00:00:00Z");
    // A worker module that is not there (as in a binary compiled without it).
    const reader = new WindowReader(db.sql, new URL("./no_such_worker.ts", import.meta.url));
    try {
      const rows = await db.sql.begin(async (tx) => {
        await tx.unsafe(ROLLUP_SQL.hourlyDelete, ["test", lo, hi]);
        await tx.unsafe(ROLLUP_SQL.dailyDelete, ["test", "2026-11-25"]);
        return await reader.read(tx, {
          nodeId: node.node_id,
          nodeName: "test",
          day: "2026-11-25",
          lo,
          hi,
          hourFrom: lo,
          hourTo: hi,
          tz: "UTC",
          copy: true,
          batchRows: 500,
        });
      });
      assert.equal(reader.lastOnWorker, false);
      assert.equal(
        rows,
        truth.expected_queries_log_lines + await count(
          db.sql,
          `select count(*) from dns_query_errors
         where matched_query_at is null and kind in ('failed', 'response')`,
        ),
      );
      assert.deepEqual(await snapshot(db.sql), before);
    } finally {
      reader.close();
    }
  } finally {
    await db.drop();
  }
});

// ---------------------------------------------------------------------------------------------
// 3. Late data re-aggregates the windows it touches, and only those.

Deno.test("rollup: late lines of an hour already rolled up re-aggregate its hour and day; other days unchanged", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-rollup-" });
  try {
    const E = "10.1.1.5";
    const PREV = "2026-11-24", DAY = "2026-11-25";
    const q1 = await writeLog(dir, "q1.log", [
      queryLine(`${PREV} 08:10:00.000`, A, 1001, "x.example.com", "A"),
      queryLine(`${PREV} 08:20:00.000`, B, 2001, "y.example.com", "AAAA"),
      queryLine(`${DAY} 10:05:00.000`, A, 1002, "www.example.com", "A"),
      queryLine(`${DAY} 10:06:00.000`, B, 2002, "www.example.com", "A"),
      queryLine(`${DAY} 10:07:00.000`, A, 1003, "api.example.com", "A"),
    ]);
    // Its query comes later: an orphan until then.
    const e1 = await writeLog(dir, "e1.log", [
      failedLine(`${DAY} 11:20:00.004`, E, 6001, "late.example.com", "A", "failure"),
    ]);
    ok(await db.run(["ingest", q1, e1]), "ingest 1");
    const r1 = ok(await db.run(["rollup"]), "rollup 1");
    assert.equal(r1.windows, 2);

    const hourRows = async () =>
      plain(
        await db.sql.unsafe(`
          select stat_hour, domain, qtype, hit_count::int as hits, unique_clients,
            servfail_count::int as servfail, unknown_count::int as unknown, first_seen, last_seen
          from dns_hourly_stats where stat_hour >= '${DAY}T00:00:00Z'
          order by stat_hour, domain, qtype`),
      );
    const dayRows = async () =>
      plain(
        await db.sql.unsafe(`
          select domain, hit_count::int as hits, unique_clients,
            servfail_count::int as servfail, unknown_count::int as unknown
          from dns_daily_domains where stat_date = '${DAY}' order by domain`),
      );
    const dayTotals = async () =>
      plain(
        await db.sql.unsafe(`
          select 'day' as k, hit_count::int as hits, unique_clients, unique_domains,
            servfail_count::int as servfail
          from dns_daily_totals where stat_date = '${DAY}'
          union all
          select stat_hour::time::text, hit_count::int, unique_clients, unique_domains,
            servfail_count::int
          from dns_hourly_totals where stat_hour >= '${DAY}T00:00:00Z'
          order by 1`),
      );
    const H10 = `${DAY}T10:00:00.000Z`, H11 = `${DAY}T11:00:00.000Z`;
    const t = (hms: string) => `${DAY}T${hms}Z`;
    const hr = (
      h: string,
      domain: string,
      hits: number,
      clients: number,
      servfail: number,
      first: string,
      last: string,
    ) => ({
      stat_hour: h,
      domain,
      qtype: "A",
      hits,
      unique_clients: clients,
      servfail,
      unknown: hits - servfail,
      first_seen: t(first),
      last_seen: t(last),
    });
    assert.deepEqual(await hourRows(), [
      hr(H10, "api.example.com", 1, 1, 0, "10:07:00.000", "10:07:00.000"),
      hr(H10, "www.example.com", 2, 2, 0, "10:05:00.000", "10:06:00.000"),
      hr(H11, "late.example.com", 1, 1, 1, "11:20:00.004", "11:20:00.004"),
    ]);

    const prevWhere = {
      dns_hourly_stats: `stat_hour < '${DAY}T00:00:00Z'`,
      dns_daily_stats: `stat_date = '${PREV}'`,
      dns_daily_domains: `stat_date = '${PREV}'`,
      dns_daily_apexes: `stat_date = '${PREV}'`,
      dns_daily_clients: `stat_date = '${PREV}'`,
      dns_daily_qtypes: `stat_date = '${PREV}'`,
      dns_hourly_totals: `stat_hour < '${DAY}T00:00:00Z'`,
      dns_daily_totals: `stat_date = '${PREV}'`,
      dns_domains_seen: `domain in ('x.example.com', 'y.example.com')`,
    };
    const prevBefore = await snapshot(db.sql, prevWhere);
    assert.equal(prevBefore.dns_daily_domains.length, 2);

    // More lines of hour 10, lines of hour 11, and the orphan's query (now joined to it).
    const q2 = await writeLog(dir, "q2.log", [
      queryLine(`${DAY} 10:30:00.000`, C, 3001, "www.example.com", "A"),
      queryLine(`${DAY} 10:40:00.000`, A, 1004, "www.example.com", "A"),
      queryLine(`${DAY} 10:50:00.000`, C, 3002, "new.example.com", "A"),
      queryLine(`${DAY} 11:05:00.000`, B, 2003, "www.example.com", "A"),
      queryLine(`${DAY} 11:10:00.000`, D, 4001, "api.example.com", "A"),
      queryLine(`${DAY} 11:20:00.000`, E, 6001, "late.example.com", "A"),
    ]);
    ok(await db.run(["ingest", q2]), "ingest 2");
    assert.equal(
      await count(db.sql, "select count(*) from dns_query_errors where matched_query_at is null"),
      0,
      "the orphan line joined its late query",
    );
    const r2 = ok(await db.run(["rollup"]), "rollup 2");
    assert.equal(r2.windows, 1, "only the day with new lines is rebuilt");
    assert.equal(r2.first_day, DAY);
    assert.deepEqual(await hourRows(), [
      hr(H10, "api.example.com", 1, 1, 0, "10:07:00.000", "10:07:00.000"),
      hr(H10, "new.example.com", 1, 1, 0, "10:50:00.000", "10:50:00.000"),
      hr(H10, "www.example.com", 4, 3, 0, "10:05:00.000", "10:40:00.000"),
      hr(H11, "api.example.com", 1, 1, 0, "11:10:00.000", "11:10:00.000"),
      // Counted once: the line is no longer an orphan but the rcode of its query.
      hr(H11, "late.example.com", 1, 1, 1, "11:20:00.000", "11:20:00.000"),
      hr(H11, "www.example.com", 1, 1, 0, "11:05:00.000", "11:05:00.000"),
    ]);
    assert.deepEqual(await dayRows(), [
      { domain: "api.example.com", hits: 2, unique_clients: 2, servfail: 0, unknown: 2 },
      { domain: "late.example.com", hits: 1, unique_clients: 1, servfail: 1, unknown: 0 },
      { domain: "new.example.com", hits: 1, unique_clients: 1, servfail: 0, unknown: 1 },
      { domain: "www.example.com", hits: 5, unique_clients: 3, servfail: 0, unknown: 5 },
    ]);
    assert.deepEqual(await dayTotals(), [
      { k: "10:00:00", hits: 6, unique_clients: 3, unique_domains: 3, servfail: 0 },
      { k: "11:00:00", hits: 3, unique_clients: 3, unique_domains: 3, servfail: 1 },
      { k: "day", hits: 9, unique_clients: 5, unique_domains: 4, servfail: 1 },
    ]);
    assert.deepEqual(await snapshot(db.sql, prevWhere), prevBefore);

    // A late query-errors line changes the rcode of a query of hour 10.
    const e2 = await writeLog(dir, "e2.log", [
      failedLine(`${DAY} 10:30:00.004`, C, 3001, "www.example.com", "A", "SERVFAIL"),
    ]);
    ok(await db.run(["ingest", e2]), "ingest 3");
    const r3 = ok(await db.run(["rollup"]), "rollup 3");
    assert.equal(r3.windows, 1);
    const rows = await hourRows();
    assert.deepEqual(
      rows[2],
      hr(H10, "www.example.com", 4, 3, 1, "10:05:00.000", "10:40:00.000"),
    );
    const days = await dayRows();
    assert.deepEqual(days[3], {
      domain: "www.example.com",
      hits: 5,
      unique_clients: 3,
      servfail: 1,
      unknown: 4,
    });
    assert.deepEqual(await snapshot(db.sql, prevWhere), prevBefore);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Unique clients over several days and nodes: the union, not the sum.

type TopRow = {
  domain: string;
  hit_count: number;
  unique_clients: number;
  unique_clients_error_pct: number;
};
type NodeRow = {
  node_name: string;
  hit_count: number;
  share_pct: number;
  unique_clients: number;
  unique_clients_error_pct: number;
  first_day: string;
  last_day: string;
};

Deno.test("reports: unique clients over days and nodes are the union (exact below 256, estimated above)", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-rollup-" });
  try {
    const d1 = "2026-11-20", d2 = "2026-11-21", d3 = "2026-11-22", d4 = "2026-11-23";
    const ip = (i: number) => `10.3.0.${i}`;
    const lines = (day: string, from: number, to: number, name: string) => {
      const out: string[] = [];
      for (let i = from; i <= to; i++) {
        out.push(
          queryLine(`${day} 12:00:${String(i).padStart(2, "0")}.000`, ip(i), 1000 + i, name, "A"),
        );
      }
      return out;
    };
    const n1 = await writeLog(dir, "n1.log", [
      ...lines(d1, 1, 5, "shared.example.com"),
      ...lines(d2, 4, 8, "shared.example.com"),
      ...lines(d2, 20, 20, "other.example.com"),
    ]);
    const n2 = await writeLog(dir, "n2.log", lines(d1, 7, 10, "shared.example.com"));
    ok(await db.run(["ingest", "--node", "n1", n1]), "ingest n1");
    ok(await db.run(["ingest", "--node", "n2", n2]), "ingest n2");
    // The report rolls up what is pending first.
    const all = await report<TopRow>(db, ["top-domains", "--from", d1, "--to", d2]);
    assert.equal(await count(db.sql, "select count(*) from rollup_dirty"), 0);
    const pick = (rows: TopRow[], domain: string) => {
      const r = rows.find((x) => x.domain === domain);
      assert.ok(r, `${domain} in ${JSON.stringify(rows)}`);
      return {
        hit_count: r.hit_count,
        unique_clients: r.unique_clients,
        unique_clients_error_pct: r.unique_clients_error_pct,
      };
    };
    assert.deepEqual(pick(all, "shared.example.com"), {
      hit_count: 14,
      unique_clients: 10, // 1..10; the sum of the parts would be 5 + 5 + 4
      unique_clients_error_pct: 0,
    });
    const one = await report<TopRow>(db, ["top-domains", "--from", d1, "--to", d2, "--node", "n1"]);
    assert.deepEqual(pick(one, "shared.example.com"), {
      hit_count: 10,
      unique_clients: 8,
      unique_clients_error_pct: 0,
    });
    const bothNodesOneDay = await report<TopRow>(db, ["top-domains", "--from", d1, "--to", d1]);
    assert.deepEqual(pick(bothNodesOneDay, "shared.example.com"), {
      hit_count: 9,
      unique_clients: 9, // 1..5 on n1, 7..10 on n2
      unique_clients_error_pct: 0,
    });

    const nodes = await report<NodeRow>(db, ["node-totals", "--from", d1, "--to", d2]);
    assert.deepEqual(
      nodes.map((n) => ({
        node_name: n.node_name,
        hit_count: n.hit_count,
        share_pct: n.share_pct,
        unique_clients: n.unique_clients,
        unique_clients_error_pct: n.unique_clients_error_pct,
        first_day: n.first_day,
        last_day: n.last_day,
      })),
      [
        {
          node_name: "n1",
          hit_count: 11,
          share_pct: 73.33,
          unique_clients: 9, // 1..8 and 20
          unique_clients_error_pct: 0,
          first_day: d1,
          last_day: d2,
        },
        {
          node_name: "n2",
          hit_count: 4,
          share_pct: 26.67,
          unique_clients: 4,
          unique_clients_error_pct: 0,
          first_day: d1,
          last_day: d1,
        },
      ],
    );

    // More than 256 clients for one domain over two days: 300 + 300, 150 in common → 450.
    const big = (day: string, from: number, to: number) => {
      const out: string[] = [];
      for (let i = from; i < to; i++) {
        const sec = String(Math.floor(i / 100)).padStart(2, "0");
        const ms = String((i % 100) * 10).padStart(3, "0");
        out.push(
          queryLine(
            `${day} 09:00:${sec}.${ms}`,
            `10.4.${i >> 8}.${i & 255}`,
            2000,
            "big.example.com",
            "A",
          ),
        );
      }
      return out;
    };
    const n1big = await writeLog(dir, "n1big.log", [...big(d3, 0, 300), ...big(d4, 150, 450)]);
    ok(await db.run(["ingest", "--node", "n1", n1big]), "ingest big");
    const exactDay = await report<TopRow>(db, ["top-domains", "--from", d3, "--to", d3]);
    assert.deepEqual(pick(exactDay, "big.example.com"), {
      hit_count: 300,
      unique_clients: 300,
      unique_clients_error_pct: 0,
    });
    const est = pick(
      await report<TopRow>(db, ["top-domains", "--from", d3, "--to", d4]),
      "big.example.com",
    );
    assert.equal(est.hit_count, 600);
    assert.equal(est.unique_clients_error_pct, 6.3);
    assert.ok(
      Math.abs(est.unique_clients - 450) <= 450 * 0.25,
      `estimate ${est.unique_clients} of 450 clients`,
    );
    const estNode = (await report<NodeRow>(db, ["node-totals", "--from", d3, "--to", d4]))
      .find((n) => n.node_name === "n1")!;
    assert.equal(estNode.hit_count, 600);
    assert.equal(estNode.unique_clients_error_pct, 6.3);
    assert.ok(
      Math.abs(estNode.unique_clients - 450) <= 450 * 0.25,
      `node estimate ${estNode.unique_clients} of 450 clients`,
    );
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// 5. Retention of raw partitions and of statistics.

/** Today in Africa/Kampala, `YYYY-MM-DD`. */
function todayKampala(): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Africa/Kampala",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date());
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

const partitionOf = (day: string) => `dns_queries_p${day.replaceAll("-", "")}`;

async function partitionExists(sql: postgres.Sql, day: string): Promise<boolean> {
  const [r] = await sql`select to_regclass(${partitionOf(day)}) is not null as e`;
  return r.e;
}

Deno.test("retention: old raw partitions dropped after their rollup, statistics kept until their own retention", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-retention-" });
  try {
    const today = todayKampala();
    const old = addDays(today, -40), recent = addDays(today, -10);
    const q = await writeLog(dir, "queries.log", [
      queryLine(`${old} 12:00:00.000`, A, 1001, "old.example.com", "A"),
      queryLine(`${old} 12:01:00.000`, B, 2001, "old.example.com", "A"),
      queryLine(`${old} 13:00:00.000`, A, 1002, "both.example.com", "AAAA"),
      queryLine(`${recent} 12:00:00.000`, C, 3001, "new.example.com", "A"),
      queryLine(`${recent} 12:30:00.000`, A, 1003, "both.example.com", "AAAA"),
    ]);
    const e = await writeLog(dir, "query-errors.log", [
      failedLine(`${old} 14:00:00.000`, O, 5001, "ghost.example.com", "TXT", "failure"),
    ]);
    ok(await db.run(["ingest", q, e], KAMPALA), "ingest");
    ok(await db.run(["rollup"], KAMPALA), "rollup");
    assert.ok(await partitionExists(db.sql, old));
    assert.ok(await partitionExists(db.sql, recent));
    const dayHits = async () =>
      asMap(
        await db.sql<Counted[]>`
          select stat_date::text as k, hit_count::int as n from dns_daily_totals`,
      );
    assert.deepEqual(await dayHits(), { [old]: 4, [recent]: 2 });
    const statsBefore = await snapshot(db.sql);

    const r1 = ok(
      await db.run(["retention"], { ...KAMPALA, DNSA_RETENTION_DAYS: "30" }),
      "retention",
    );
    assert.equal(r1.status, "ok");
    assert.deepEqual(r1.dropped_days, [old]);
    assert.equal(r1.error_lines_deleted, 1);
    assert.equal(r1.stats_days_deleted, 0);
    assert.equal(await partitionExists(db.sql, old), false, `${partitionOf(old)} dropped`);
    assert.ok(await partitionExists(db.sql, recent), `${partitionOf(recent)} kept`);
    for (const d of [today, addDays(today, 1), addDays(today, 2)]) {
      assert.ok(await partitionExists(db.sql, d), `${partitionOf(d)} created ahead`);
    }
    assert.equal(await count(db.sql, "select count(*) from dns_queries"), 2);
    assert.equal(await count(db.sql, "select count(*) from dns_query_errors"), 0);
    // The statistics of the old day are all still there, unchanged.
    assert.deepEqual(await snapshot(db.sql), statsBefore);
    const [job] = await db.sql`
      select status, rows::int, finished_at, finished_at >= started_at as ordered, trigger,
        node_name, detail
      from job_runs where job = 'retention'`;
    assert.equal(job.status, "ok");
    assert.ok(job.finished_at instanceof Date);
    assert.ok(job.ordered);
    assert.equal(job.trigger, "manual");
    assert.equal(job.node_name, "test");
    assert.equal(job.rows, 1);
    assert.deepEqual(job.detail.dropped_days, [old]);

    // A rollup of the dropped day (forced) leaves its statistics alone.
    ok(await db.run(["rollup", "--from", old, "--to", old], KAMPALA), "rollup of a dropped day");
    assert.deepEqual(await snapshot(db.sql), statsBefore);

    // Statistics retention: the old day's statistics go, the recent day's stay.
    const r2 = ok(
      await db.run(["retention"], {
        ...KAMPALA,
        DNSA_RETENTION_DAYS: "30",
        DNSA_STATS_RETENTION_DAYS: "20",
      }),
      "stats retention",
    );
    assert.equal(r2.stats_days_deleted, 1);
    assert.deepEqual(await dayHits(), { [recent]: 2 });
    const oldStart = kla(`${old} 00:00:00.000`), oldEnd = kla(`${addDays(old, 1)} 00:00:00.000`);
    for (const t of STATISTICS_TABLES) {
      if (t === "dns_domains_seen") continue;
      const where = t.startsWith("dns_hourly")
        ? `stat_hour >= '${oldStart}' and stat_hour < '${oldEnd}'`
        : `stat_date = '${old}'`;
      assert.equal(await count(db.sql, `select count(*) from ${t} where ${where}`), 0, t);
    }
    const recentWhere = (t: string) =>
      t === "dns_domains_seen"
        ? "domain = 'new.example.com'"
        : t.startsWith("dns_hourly")
        ? `stat_hour >= '${kla(`${recent} 00:00:00.000`)}'`
        : `stat_date = '${recent}'`;
    const keep = Object.fromEntries(STATISTICS_TABLES.map((t) => [t, recentWhere(t)]));
    assert.deepEqual(await snapshot(db.sql, keep), snapshotOf(statsBefore, recent));
    // Domains not seen since the cutoff are forgotten; one seen since is kept.
    const seen = await db.sql<{ domain: string }[]>`
      select domain from dns_domains_seen order by domain`;
    assert.deepEqual(seen.map((r) => r.domain), ["both.example.com", "new.example.com"]);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The rows of `snap` that belong to `day` (daily tables by stat_date, hourly by hour). */
function snapshotOf(snap: Record<string, string[]>, day: string): Record<string, string[]> {
  const from = Date.parse(kla(`${day} 00:00:00.000`));
  const out: Record<string, string[]> = {};
  for (const [t, rows] of Object.entries(snap)) {
    out[t] = rows.filter((j) => {
      const r = JSON.parse(j);
      if (t === "dns_domains_seen") return r.domain === "new.example.com";
      if (r.stat_hour !== undefined) return Date.parse(r.stat_hour) >= from;
      return r.stat_date === day;
    });
  }
  return out;
}

Deno.test("retention: rows of an old day not rolled up yet are rolled up before their partition goes", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-retention-" });
  try {
    const today = todayKampala();
    const old = addDays(today, -35), recent = addDays(today, -3);
    // "Older than 30 days": today and the 30 days before it are kept.
    const lastDropped = addDays(today, -31), lastKept = addDays(today, -30);
    const q = await writeLog(dir, "queries.log", [
      queryLine(`${old} 08:00:00.000`, A, 1001, "old.example.com", "A"),
      queryLine(`${old} 09:00:00.000`, B, 2001, "old.example.com", "A"),
      queryLine(`${old} 23:59:00.000`, C, 3001, "other.example.com", "MX"),
      queryLine(`${lastDropped} 23:30:00.000`, C, 3002, "other.example.com", "MX"),
      queryLine(`${lastKept} 00:30:00.000`, C, 3003, "other.example.com", "MX"),
      queryLine(`${recent} 08:00:00.000`, A, 1002, "old.example.com", "A"),
    ]);
    ok(await db.run(["ingest", q], KAMPALA), "ingest");
    assert.ok(await count(db.sql, "select count(*) from rollup_dirty") > 0);
    assert.equal(await count(db.sql, "select count(*) from dns_daily_totals"), 0);
    const r = ok(
      await db.run(["retention"], { ...KAMPALA, DNSA_RETENTION_DAYS: "30" }),
      "retention",
    );
    assert.deepEqual(r.dropped_days, [old, lastDropped]);
    assert.ok((r.rolled_up_windows as number) >= 2);
    assert.equal(await partitionExists(db.sql, old), false);
    assert.equal(await partitionExists(db.sql, lastDropped), false);
    assert.ok(await partitionExists(db.sql, lastKept));
    const days = async () =>
      (await db.sql<{ k: string; n: number; c: number }[]>`
        select stat_date::text as k, hit_count::int as n, unique_clients as c
        from dns_daily_totals order by 1`).map((d) => ({ ...d }));
    assert.deepEqual(await days(), [
      { k: old, n: 3, c: 3 },
      { k: lastDropped, n: 1, c: 1 },
      { k: lastKept, n: 1, c: 1 },
      { k: recent, n: 1, c: 1 },
    ]);
    const [dom] = await db.sql`
      select hit_count::int as n, unique_clients as c from dns_daily_domains
      where stat_date = ${old} and domain = 'old.example.com'`;
    assert.deepEqual({ ...dom }, { n: 2, c: 2 });
    assert.equal(await count(db.sql, "select count(*) from rollup_dirty"), 0);

    // Statistics retention of 30 days: the same boundary.
    const s = ok(
      await db.run(["retention"], {
        ...KAMPALA,
        DNSA_RETENTION_DAYS: "30",
        DNSA_STATS_RETENTION_DAYS: "30",
      }),
      "stats retention",
    );
    assert.equal(s.stats_days_deleted, 2);
    assert.deepEqual(await days(), [{ k: lastKept, n: 1, c: 1 }, { k: recent, n: 1, c: 1 }]);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rollup: an orphan query-errors line on a day without query rows is counted", async () => {
  // hit_count counts every orphan line; a day whose only lines are query-errors lines (the
  // query log of that day rotated away, or not ingested) must still have its statistics.
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-rollup-" });
  try {
    const e = await writeLog(dir, "query-errors.log", [
      failedLine("2026-11-25 20:43:17.224", A, 42921, "api.dead.co.ug", "A", "failure"),
      failedLine("2026-11-25 20:43:18.000", B, 42922, "www.example.com", "AAAA", "REFUSED"),
    ]);
    ok(await db.run(["ingest", e]), "ingest");
    const r = ok(await db.run(["rollup"]), "rollup");
    assert.equal(r.status, "ok", JSON.stringify(r));
    assert.equal(r.rows, 2);
    const totals = await db.sql`
      select stat_date::text as day, hit_count::int as hits, unique_clients,
        servfail_count::int as servfail, refused_count::int as refused
      from dns_daily_totals`;
    assert.deepEqual(totals.map((t) => ({ ...t })), [
      { day: "2026-11-25", hits: 2, unique_clients: 2, servfail: 1, refused: 1 },
    ]);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// 6. The rollup lock.

/** Wait until `check` holds (a state of the server, not a time). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never happened: ${what}`);
}

Deno.test("rollup: a window whose lock another session holds is skipped (wait: false) or waited for", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-rollup-" });
  const holder = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const q = await writeLog(dir, "queries.log", [
      queryLine("2026-11-25 10:00:00.000", A, 1001, "www.example.com", "A"),
      queryLine("2026-11-25 11:00:00.000", B, 2001, "www.example.com", "A"),
    ]);
    ok(await db.run(["ingest", q]), "ingest");
    const [{ node_id: nodeId }] = await db.sql`
      select node_id from dns_nodes where node_name = 'test'`;
    const marks = () => count(db.sql, "select count(*) from rollup_dirty");
    const marked = await marks();
    assert.ok(marked >= 2);

    // Another session holds the node's rollup lock in an open transaction.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const events: string[] = [];
    const holding = holder.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${ROLLUP_LOCK}, ${nodeId})`;
      locked();
      await released;
      events.push("lock released");
    });
    await isLocked;

    const skipped = await rollupStatistics(db.sql, { tz: "UTC", wait: false });
    assert.equal(skipped.windows, 0);
    assert.ok(skipped.skipped >= 1);
    assert.equal(await marks(), marked, "the marks stay for the next run");
    assert.equal(await count(db.sql, "select count(*) from dns_daily_totals"), 0);

    // A run that waits: blocked on the lock until the other transaction ends.
    const waiting = rollupStatistics(db.sql, { tz: "UTC" }).then((r) => {
      events.push("rollup finished");
      return r;
    });
    await until(
      async () =>
        (await count(
          db.sql,
          `select count(*) from pg_locks where locktype = 'advisory' and not granted
             and classid = ${ROLLUP_LOCK} and objid = ${nodeId}`,
        )) > 0,
      "the rollup waits for the lock",
    );
    assert.deepEqual(events, [], "the rollup did not finish while the lock was held");
    assert.equal(await marks(), marked);
    release();
    await holding;
    const done = await waiting;
    assert.deepEqual(events, ["lock released", "rollup finished"]);
    assert.equal(done.windows, 1);
    assert.equal(done.skipped, 0);
    assert.equal(done.rows, 2);
    assert.equal(await marks(), 0);
    assert.equal(await count(db.sql, "select sum(hit_count) from dns_daily_totals"), 2);
  } finally {
    await holder.end({ timeout: 5 });
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// 7. job_runs.

Deno.test("job_runs: every rollup and retention run is recorded with its status, rows and end", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-rollup-" });
  const holder = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const q = await writeLog(dir, "queries.log", HAND_QUERIES);
    const e = await writeLog(dir, "query-errors.log", HAND_ERRORS);
    ok(await db.run(["ingest", q, e], KAMPALA), "ingest");
    ok(await db.run(["rollup"], KAMPALA), "rollup");
    ok(await db.run(["rollup"], KAMPALA), "rollup (nothing pending)");
    ok(await db.run(["rollup", "--from", D1, "--to", D1], KAMPALA), "rollup of one day");
    ok(await db.run(["retention"], KAMPALA), "retention");

    // A scheduled (cron) run that finds its window held is recorded as skipped.
    ok(
      await db.run([
        "ingest",
        await writeLog(dir, "more.log", [
          queryLine(`${D2} 01:00:00.000`, A, 1009, "www.example.com", "A"),
        ]),
      ], KAMPALA),
      "ingest more",
    );
    const [{ node_id: nodeId }] = await db.sql`select node_id from dns_nodes`;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holding = holder.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${ROLLUP_LOCK}, ${nodeId})`;
      locked();
      await released;
    });
    await isLocked;
    const config = loadConfig({
      env: { DATABASE_URL: db.url, DNSA_NODE: "test", DNSA_LOG_TZ: "Africa/Kampala" },
    });
    const ctx: JobContext = {
      config,
      sql: db.sql,
      copy: true,
      log: createLogger({ write: () => {} }),
      close: () => Promise.resolve(),
    };
    const cron = await rollupJob(ctx, { trigger: "cron" });
    release();
    await holding;
    assert.equal(cron.status, "skipped");

    const runs = await db.sql`
      select job, node_name, trigger, status, rows::int, finished_at is not null as finished,
        finished_at >= started_at as ordered, error, detail
      from job_runs order by id`;
    assert.deepEqual(
      runs.map((
        r,
      ) => [r.job, r.node_name, r.trigger, r.status, r.rows, r.finished, r.ordered, r.error]),
      [
        ["rollup", "test", "manual", "ok", 24, true, true, null],
        ["rollup", "test", "manual", "ok", 0, true, true, null],
        ["rollup", "test", "manual", "ok", 14, true, true, null],
        ["retention", "test", "manual", "ok", 0, true, true, null],
        ["rollup", "test", "cron", "skipped", 0, true, true, null],
      ],
    );
    assert.equal(runs[0].detail.windows, 2);
    assert.equal(runs[1].detail.windows, 0);
    assert.equal(runs[2].detail.windows, 1);
    assert.equal(runs[4].detail.skipped_windows, 1);
    assert.equal(await count(db.sql, "select count(*) from job_runs where status = 'running'"), 0);
  } finally {
    await holder.end({ timeout: 5 });
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retention: late rows of a day whose raw partition was dropped do not erase its statistics", async () => {
  // After retention the statistics are all that is left of a day. A file with a few more
  // lines of that day (another log of the node, an archive) must not rebuild the day from
  // those lines alone.
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-retention-" });
  try {
    const old = addDays(todayKampala(), -40);
    const q1 = await writeLog(dir, "a.log", [
      queryLine(`${old} 10:00:00.000`, A, 1001, "a.example.com", "A"),
      queryLine(`${old} 10:00:01.000`, B, 2001, "a.example.com", "A"),
      queryLine(`${old} 10:00:02.000`, C, 3001, "b.example.com", "A"),
    ]);
    ok(await db.run(["ingest", q1], KAMPALA), "ingest");
    ok(await db.run(["rollup"], KAMPALA), "rollup");
    const r = ok(await db.run(["retention"], KAMPALA), "retention");
    assert.deepEqual(r.dropped_days, [old]);
    const domains = async () =>
      asMap(
        await db.sql<Counted[]>`
          select domain as k, hit_count::int as n from dns_daily_domains where stat_date = ${old}`,
      );
    assert.deepEqual(await domains(), { "a.example.com": 2, "b.example.com": 1 });

    const q2 = await writeLog(dir, "b.log", [
      queryLine(`${old} 11:00:00.000`, O, 5001, "c.example.com", "A"),
    ]);
    ok(await db.run(["ingest", q2], KAMPALA), "late ingest");
    ok(await db.run(["rollup"], KAMPALA), "rollup after late lines");
    const after = await domains();
    assert.equal(after["a.example.com"], 2, `a.example.com kept: ${JSON.stringify(after)}`);
    assert.equal(after["b.example.com"], 1, `b.example.com kept: ${JSON.stringify(after)}`);
    assert.ok(
      (await count(
        db.sql,
        `select sum(hit_count) from dns_daily_totals where stat_date = '${old}'`,
      )) >=
        3,
      "the day's total did not shrink",
    );
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Top lists over several days.

Deno.test("reports: top lists over several days find a key that tops no single day", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-rollup-" });
  try {
    const days = ["2026-11-20", "2026-11-21", "2026-11-22"];
    const lines: string[] = [];
    days.forEach((day, i) => {
      // Each day: one name (and client) with 5 queries, steady.example.com with 3 (client A).
      for (let k = 0; k < 5; k++) {
        lines.push(
          queryLine(
            `${day} 10:00:0${k}.000`,
            `10.5.0.${i + 1}`,
            1000 + k,
            `peak${i}.example.com`,
            "A",
          ),
        );
      }
      for (let k = 0; k < 3; k++) {
        lines.push(queryLine(`${day} 11:00:0${k}.000`, A, 2000 + k, "steady.example.com", "A"));
      }
    });
    ok(await db.run(["ingest", await writeLog(dir, "queries.log", lines)]), "ingest");
    const range = ["--from", days[0], "--to", days[2], "--limit", "1"];
    const top = await report<TopRow>(db, ["top-domains", ...range]);
    assert.deepEqual(
      top.map((r) => [r.domain, r.hit_count, r.unique_clients]),
      [["steady.example.com", 9, 1]],
    );
    const clients = await report<{ client_ip: string; hit_count: number }>(db, [
      "top-clients",
      ...range,
    ]);
    assert.deepEqual(clients.map((r) => [r.client_ip, r.hit_count]), [[A, 9]]);
    const apexes = await report<{ apex_domain: string; hit_count: number }>(db, [
      "top-apex-domains",
      ...range,
    ]);
    assert.deepEqual(apexes.map((r) => [r.apex_domain, r.hit_count]), [["example.com", 24]]);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
