/**
 * HTTP API benchmark, against a fresh PostgreSQL database it creates and drops: 30 days of
 * statistics as the rollup of ~1M queries a day would leave them (the generators of the
 * rollup benchmark, tests/rollup_bench_data.ts: 30,000 Zipf-popular names, 20,000 one-off
 * names a day, 2,000 clients), written straight into the statistics tables; then the HTTP
 * server in this process on a free loopback port, and every endpoint called over HTTP many
 * times (after one warm-up): p50, p95 and max per endpoint against the 100 ms target.
 *
 * Usage:
 *   DNSA_TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1/postgres deno task bench:api
 *   deno task bench:api --runs 50 --nodes 2
 *
 * Without DNSA_TEST_DATABASE_URL it says so and exits 0 (nothing measured).
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { NO_DELAY_OPTIONS } from "../lib/db/socket.ts";
import { loadConfig } from "../lib/config.ts";
import { migrate } from "../lib/db/migrate.ts";
import { createLogger } from "../lib/log.ts";
import { MetricsRecorder } from "../lib/metrics.ts";
import { DASHBOARD_ASSETS } from "../lib/http/dashboard/assets.ts";
import { startHttpServer } from "../lib/http/server.ts";
import { REPORTS } from "../lib/report.ts";
import { bindNamed, clientIpSql, CLIENTS, statsSql } from "./rollup_bench_data.ts";

const TARGET_MS = 100;
const HELP = `Usage: deno task bench:api [--runs N] [--days N] [--nodes N] [--per-day N] [--keep]

  --runs N      timed calls of each endpoint after one warm-up (default 30)
  --days N      days of statistics, ending today (UTC) (default 30)
  --nodes N     nodes with statistics (default 1)
  --per-day N   queries a day and node the statistics stand for (default 1000000)
  --keep        keep the database

Environment: DNSA_TEST_DATABASE_URL (admin URL of a PostgreSQL server; required).`;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "30" },
      days: { type: "string", default: "30" },
      nodes: { type: "string", default: "1" },
      "per-day": { type: "string", default: "1000000" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const adminUrl = Deno.env.get("DNSA_TEST_DATABASE_URL");
  if (!adminUrl) {
    console.log("api_bench: skipped: set DNSA_TEST_DATABASE_URL (a PostgreSQL admin URL)");
    return 0;
  }
  const runs = Number(values.runs), days = Number(values.days), nodeCount = Number(values.nodes);
  const perDay = Number(values["per-day"]);
  if (![runs, days, nodeCount, perDay].every((n) => Number.isSafeInteger(n) && n >= 1)) {
    console.error(`api_bench: counts take positive integers\n\n${HELP}`);
    return 64;
  }
  const log = (m: string) => console.error(`api_bench: ${m}`);
  const dbName = `dnsa_api_bench_${Deno.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  let gen: postgres.Sql | null = null, served: postgres.Sql | null = null;
  const stop = new AbortController();
  let finished: Promise<void> | null = null;
  try {
    gen = postgres(dbUrl, { max: 1, onnotice: () => {} });
    await migrate(gen);
    const today = Math.floor(Date.now() / 86_400_000);
    const firstDay = new Date((today - days + 1) * 86_400_000).toISOString().slice(0, 10);
    const nodes = Array.from({ length: nodeCount }, (_, i) => i === 0 ? "bench" : `bench${i + 1}`);
    await gen.unsafe("select setseed(0.2026)");
    const [pool] = await gen.unsafe<{ h: string }[]>(
      `select array(select hashinetextended(${
        clientIpSql("c")
      }, 0) from generate_series(1, ${CLIENTS}) c order by 1)::text as h`,
    );
    const t0 = performance.now();
    for (
      const s of statsSql({ firstDay, days, popular: 30_000, tail: 20_000, queriesPerDay: perDay })
    ) {
      const b = bindNamed(s.sql, { pool: pool.h, nodes });
      const r = await gen.unsafe(b.sql, b.params as never[]);
      log(`${s.name}: ${r.count} rows`);
    }
    // job_runs as a month of serve leaves it: a rollup every 5 minutes, retention daily.
    await gen.unsafe(`insert into job_runs (job, node_name, trigger, started_at, finished_at,
        status, rows)
      select case when i % 288 = 0 then 'retention' else 'rollup' end, 'bench', 'cron',
        now() - make_interval(mins => 5 * i), now() - make_interval(mins => 5 * i) + interval '2 s',
        case when i % 997 = 0 then 'failed' else 'ok' end, 1000
      from generate_series(1, ${days * 288}) i`);
    await gen.unsafe("vacuum analyze");
    log(`statistics generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const [top] = await gen.unsafe<{ domain: string }[]>(
      `select domain from dns_daily_domains group by domain order by sum(hit_count) desc limit 1`,
    );
    const [client] = await gen.unsafe<{ ip: string }[]>(`select host(${clientIpSql("1")}) as ip`);

    // As serve runs it: the pool of six connections, the handler of lib/http.
    // As the program connects: TCP_NODELAY (lib/db/socket.ts).
    served = postgres(dbUrl, {
      max: 6,
      onnotice: () => {},
      ...NO_DELAY_OPTIONS,
    });
    const config = loadConfig({
      env: { DATABASE_URL: dbUrl, DNSA_LOG_TZ: "UTC", DNSA_NODE: "bench" },
    });
    const server = await startHttpServer({
      sql: served,
      config,
      metrics: new MetricsRecorder({ source: "querylog" }),
      log: createLogger({ level: "error" }),
      assets: DASHBOARD_ASSETS,
    }, { hostname: "127.0.0.1", port: 0, signal: stop.signal });
    finished = server.finished;

    const range = `days=${days}`;
    const paths: string[] = [
      ...Object.keys(REPORTS).map((r) => `api/reports/${r}?${range}`),
      `api/reports/top-domains?days=7`,
      `api/reports/top-domains?${range}&node=bench`,
      `api/reports/top-clients?${range}&format=csv`,
      `api/domain?name=${encodeURIComponent(top.domain)}&${range}`,
      `api/domain?name=n20000.example0.com&${range}`,
      `api/domain?name=never.example&${range}`,
      `api/client?ip=${client.ip}&${range}`,
      "api/nodes",
      "api/health",
      "metrics",
      "healthz",
    ];
    const lines: string[] = [];
    const misses: string[] = [];
    for (const path of paths) {
      const call = async () => {
        const t = performance.now();
        const res = await fetch(`${server.url}${path}`);
        const body = await res.arrayBuffer();
        const ms = performance.now() - t;
        if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
        return { ms, bytes: body.byteLength };
      };
      const warm = await call();
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) ms.push((await call()).ms);
      const p95 = quantile(ms, 0.95);
      if (p95 >= TARGET_MS) misses.push(path);
      lines.push(
        `    ${path.padEnd(58)} ${String(warm.bytes).padStart(8)} ${
          warm.ms.toFixed(1).padStart(8)
        } ${quantile(ms, 0.5).toFixed(1).padStart(7)} ${p95.toFixed(1).padStart(7)} ${
          Math.max(...ms).toFixed(1).padStart(7)
        }${p95 >= TARGET_MS ? "  MISSED" : ""}`,
      );
    }
    const [size] = await gen.unsafe<{ size: string; hits: string }[]>(
      `select pg_size_pretty(pg_database_size(current_database())) as size,
        (select sum(hit_count) from dns_daily_totals)::text as hits`,
    );
    console.log([
      `api benchmark: ${days} days of statistics of ${nodeCount} node(s) (${firstDay} .. today, ` +
      `${size.hits} queries, database ${size.size}), HTTP server in-process on ${server.url}`,
      `  timing: fetch() round trip over loopback of the whole response, ${runs} calls each ` +
      `after one warm-up, one at a time; ms`,
      `    ${"endpoint".padEnd(58)} ${"bytes".padStart(8)} ${"warm-up".padStart(8)} ${
        "p50".padStart(7)
      } ${"p95".padStart(7)} ${"max".padStart(7)}`,
      ...lines,
      `  target: every endpoint p95 < ${TARGET_MS} ms: ${
        misses.length === 0 ? "met" : `MISSED by ${misses.join(", ")}`
      }`,
      `  machine: ${navigator.hardwareConcurrency} CPUs, load average ${
        Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")
      } (shared with other work)`,
    ].join("\n"));
    return 0;
  } finally {
    stop.abort();
    await finished;
    await served?.end({ timeout: 5 });
    await gen?.end({ timeout: 5 });
    if (!values.keep) await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    else log(`kept database ${dbName}`);
    await admin.end({ timeout: 5 });
  }
}

if (import.meta.main) Deno.exit(await main());
