/**
 * Search benchmark (`deno task bench:search`): a fresh PostgreSQL database filled with
 * `--days` days × `--per-day` synthetic queries (Zipf-like clients and names: `--clients`
 * addresses in 10.0.0.0/16, `--names` names under 2,000 apexes, rcodes mostly unknown as from
 * the query log), then:
 *
 * - p50/p95 of the first page (100 rows, newest first) of each filter kind: client address,
 *   client network (/24), exact domain (a common one, and a rare one under a common apex),
 *   `*.apex` suffix, rcode, and a combination;
 * - p50/p95 of the drill-downs over the last 7 days: a client's top domains, a domain's top
 *   clients;
 * - `report queries --format csv --limit 1000000` as a subprocess (PostgreSQL writes the CSV
 *   with COPY): rows/s, process start included, and peak RSS;
 * - with `--indexes` (default), the btree indexes a search needs, created on the raw table
 *   for this run only (the physical layout of dns_queries decides the real ones): their bytes
 *   per stored query.
 *
 * Timings are printed, never asserted.
 *
 * ```sh
 * deno task bench:search                                  # 30 days × 1M queries/day
 * deno task bench:search --days 3 --per-day 200000        # smaller
 * deno task bench:search --keep                           # keep the database, print its name
 * deno task bench:search --database dnsa_bench_search_x   # time a kept one again (migrated first)
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { parseQueryFilter } from "../lib/search/filter.ts";
import { searchPage } from "../lib/search/query_search.ts";
import { drilldown } from "../lib/search/drilldown.ts";
import type { Sql } from "../lib/db/connect.ts";
import { cleanEnv } from "./integration/pg.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const DEFAULT_ADMIN_URL = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const TZ = "UTC";

const { values } = parseArgs({
  options: {
    days: { type: "string", default: "30" },
    "per-day": { type: "string", default: "1000000" },
    clients: { type: "string", default: "2000" },
    names: { type: "string", default: "200000" },
    runs: { type: "string", default: "20" },
    "no-indexes": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    database: { type: "string" },
  },
});
const days = Number(values.days), perDay = Number(values["per-day"]);
const clients = Number(values.clients), names = Number(values.names);
const runs = Number(values.runs);

const INDEXES = [
  ["dns_queries_search_time", "(queried_at)"],
  ["dns_queries_search_client", "(client_ip, queried_at)"],
  ["dns_queries_search_domain", "(domain, queried_at)"],
];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const admin = postgres(Deno.env.get("DNSA_TEST_DATABASE_URL") ?? DEFAULT_ADMIN_URL, {
  max: 1,
  onnotice: () => {},
});
// DNSA_BENCH_DB_PREFIX: where several benchmarks share one server, a prefix of their own.
// --database: a database an earlier run kept (same --days, --per-day, --clients, --names),
// migrated again and timed without loading it.
const reuse = values.database ?? null;
const dbName = reuse ??
  `${Deno.env.get("DNSA_BENCH_DB_PREFIX") ?? ""}dnsa_bench_search_${Date.now().toString(36)}`;
if (reuse === null) await admin.unsafe(`create database ${dbName}`);
const u = new URL(Deno.env.get("DNSA_TEST_DATABASE_URL") ?? DEFAULT_ADMIN_URL);
u.pathname = `/${dbName}`;
const url = u.toString();
const sql = postgres(url, { max: 2, onnotice: () => {} }) as unknown as Sql;
try {
  const mig = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "migrate"],
    env: { ...cleanEnv(), DATABASE_URL: url, DNSA_LOG_TZ: TZ, DNSA_NODE: "bench" },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!mig.success) throw new Error(new TextDecoder().decode(mig.stderr));
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  if (reuse !== null) {
    // The kept database's days end on the day it was loaded.
    const [{ last }] = await sql.unsafe<{ last: Date }[]>(
      `select max(last_at) as last from dns_query_blocks`,
    );
    today.setTime(last.getTime());
    today.setUTCHours(0, 0, 0, 0);
  } else await sql.unsafe(`insert into dns_nodes (node_name) values ('bench')`);
  const first = new Date(today.getTime() - (days - 1) * 86_400_000);
  const t0 = performance.now();
  for (let d = 0; d < (reuse === null ? days : 0); d++) {
    const day = new Date(first.getTime() + d * 86_400_000).toISOString().slice(0, 10);
    await sql.unsafe(`select dnsa_ensure_day_partition($1::date, $2)`, [day, TZ]);
    // Zipf-like: power(random(), 3) puts most draws on the first clients and names.
    // Staged, then packed into blocks (migration 0027) in one statement per day.
    await sql.unsafe(
      `insert into dns_query_staged (queried_at, client_ip, client_port, domain, apex_domain,
         qtype, flags, response_rcode, node_id, qclass, transport)
       select $1::date + (g * (86400.0 / $2)) * interval '1 second',
         ('10.0.0.0'::inet + (floor(power(random(), 3) * $3))::int),
         1024 + (g % 60000),
         'n' || n || '.apex' || (n % 2000) || '.com', 'apex' || (n % 2000) || '.com',
         (array['A','A','A','AAAA','AAAA','HTTPS','PTR','TXT'])[1 + (g % 8)], '+E(0)K',
         case when g % 97 = 0 then 'SERVFAIL' when g % 193 = 0 then 'REFUSED' end,
         1, 'IN', case when g % 20 = 0 then 'tcp' else 'udp' end
       from generate_series(0, $2 - 1) as g,
         lateral (select (floor(power(random(), 3) * $4))::int + g * 0 as n) as x`,
      [day, perDay, clients, names],
    );
    await sql.unsafe(`select dnsa_pack_rows('dns_query_staged'::regclass)`);
    console.error(`day ${day}: ${perDay} rows`);
  }
  // Every client has a name (the CSV carries client_name beside client_ip).
  if (reuse === null) {
    await sql.unsafe(
      `insert into dns_client_names (address, name, source)
     select '10.0.0.0'::inet + g, 'host-' || g, 'dhcp' from generate_series(0, $1 - 1) as g`,
      [clients],
    );
  }
  const loadS = (performance.now() - t0) / 1000;
  await sql.unsafe("vacuum analyze dns_query_blocks");
  await sql.unsafe("vacuum analyze dns_query_staged");
  // The blocks' heap and TOAST (the arrays), and the indexes the search reads them by.
  const [{ bytes: heap, index }] = await sql.unsafe<{ bytes: string; index: string }[]>(
    `select sum(pg_table_size(c.oid))::bigint as bytes,
       sum(pg_indexes_size(c.oid))::bigint as index from pg_inherits i
     join pg_class c on c.oid = i.inhrelid where i.inhparent = 'dns_query_blocks'::regclass`,
  );
  const total = days * perDay;
  const report: Record<string, unknown> = {
    days,
    per_day: perDay,
    rows: total,
    clients,
    names,
    load_seconds: Math.round(loadS),
    heap_bytes_per_query: Math.round(Number(heap) / total * 10) / 10,
    block_index_bytes_per_query: Math.round(Number(index) / total * 10) / 10,
  };
  // Row indexes on the raw queries: only where dns_queries is a table (before blocks).
  const [{ kind }] = await sql.unsafe<{ kind: string }[]>(
    `select relkind::text as kind from pg_class where oid = 'dns_queries'::regclass`,
  );
  if (!values["no-indexes"] && kind !== "v") {
    const ti = performance.now();
    for (const [name, cols] of INDEXES) {
      await sql.unsafe(`create index ${name} on dns_queries ${cols}`);
    }
    await sql.unsafe("analyze dns_queries");
    const sizes: Record<string, number> = {};
    for (const [name] of INDEXES) {
      const [{ bytes }] = await sql.unsafe<{ bytes: string }[]>(
        `select coalesce(sum(pg_relation_size(i.inhrelid)), 0)::bigint as bytes
         from pg_inherits i where i.inhparent = $1::regclass`,
        [name],
      );
      sizes[name] = Math.round(Number(bytes) / total * 10) / 10;
    }
    report.index_seconds = Math.round((performance.now() - ti) / 1000);
    report.index_bytes_per_query = sizes;
  }

  const pick = (i: number) => Math.floor(Math.pow((i * 7919) % 1000 / 1000, 3) * clients);
  const ip = (n: number) => `10.0.${Math.floor(n / 256)}.${n % 256}`;
  const name = (i: number) => {
    const n = Math.floor(Math.pow((i * 104729) % 1000 / 1000, 3) * names);
    return `n${n}.apex${n % 2000}.com`;
  };
  const kinds: Record<string, (i: number) => Record<string, string>> = {
    client: (i) => ({ client: ip(pick(i)) }),
    cidr: (i) => ({ client: `10.0.${i % 8}.0/24` }),
    domain: (i) => ({ domain: name(i) }),
    // A name near the end of the Zipf-like draw: a few rows in millions, under an apex that
    // most blocks hold.
    rare_domain: (i) => {
      const n = names - 1 - ((i * 7) % 1000);
      return { domain: `n${n}.apex${n % 2000}.com` };
    },
    suffix: (i) => ({ domain: `*.apex${(i * 31) % 2000}.com` }),
    rcode: (i) => ({ rcode: i % 2 ? "SERVFAIL" : "REFUSED" }),
    combined: (i) => ({ client: ip(pick(i)), qtype: "A", rcode: "unknown" }),
  };
  const weekAgo = new Date(today.getTime() - 6 * 86_400_000).toISOString().slice(0, 10);
  const firstPages: Record<string, { p50_ms: number; p95_ms: number }> = {};
  for (const [kind, input] of Object.entries(kinds)) {
    const ms: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const f = parseQueryFilter(input(i), { tz: TZ });
      if (!f.ok) throw new Error(f.message);
      ms.push(await timed(() => searchPage(sql, f.value, { limit: 100, tz: TZ })));
    }
    firstPages[kind] = { p50_ms: Math.round(pct(ms, 0.5)), p95_ms: Math.round(pct(ms, 0.95)) };
    console.error(`first page ${kind}: ${JSON.stringify(firstPages[kind])}`);
  }
  report.first_page = firstPages;
  const drills: Record<string, { p50_ms: number; p95_ms: number }> = {};
  for (
    const [kind, input, key] of [
      ["client_domains_7d", (i: number) => ({ client: ip(pick(i)), from: weekAgo }), "domain"],
      ["domain_clients_7d", (i: number) => ({ domain: name(i), from: weekAgo }), "client"],
    ] as const
  ) {
    const ms: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const f = parseQueryFilter(input(i), { tz: TZ });
      if (!f.ok) throw new Error(f.message);
      ms.push(await timed(() => drilldown(sql, f.value, key, { limit: 25, tz: TZ })));
    }
    drills[kind] = { p50_ms: Math.round(pct(ms, 0.5)), p95_ms: Math.round(pct(ms, 0.95)) };
    console.error(`drill-down ${kind}: ${JSON.stringify(drills[kind])}`);
  }
  report.drilldown = drills;

  // CSV export of up to 1M rows through the CLI, under GNU time for the peak RSS; rows/s from
  // the start of the process and from its first byte of output (start-up and migration check
  // excluded).
  const csvRows = Math.min(1_000_000, total);
  const t1 = performance.now();
  const child = new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "%M",
      Deno.execPath(),
      "run",
      "-A",
      "--v8-flags=--max-old-space-size=256",
      MAIN,
      "report",
      "queries",
      "--format",
      "csv",
      "--limit",
      String(csvRows),
    ],
    env: { ...cleanEnv(), DATABASE_URL: url, DNSA_LOG_TZ: TZ, DNSA_NODE: "bench" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let newlines = 0, firstByte = 0;
  for await (const chunk of child.stdout) {
    if (firstByte === 0) firstByte = performance.now();
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++;
  }
  const status = await child.status;
  const done = performance.now();
  const csvS = (done - t1) / 1000;
  const streamS = (done - (firstByte || done)) / 1000;
  const lines = newlines - 1; // the header
  const rssKb = Number((await stderr).trim().split("\n").at(-1));
  report.csv = {
    rows: lines,
    seconds: Math.round(csvS * 10) / 10,
    rows_per_s: Math.round(lines / csvS),
    first_byte_seconds: Math.round((csvS - streamS) * 10) / 10,
    rows_per_s_after_first_byte: Math.round(lines / streamS),
    peak_rss_mb: Math.round(rssKb / 1024),
    ok: status.success && lines === csvRows,
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await sql.end({ timeout: 5 });
  if (!values.keep && reuse === null) {
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  } else console.error(`kept database ${dbName}`);
  await admin.end({ timeout: 5 });
}
