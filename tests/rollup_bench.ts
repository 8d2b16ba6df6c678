/**
 * Rollup and report benchmark, against a fresh PostgreSQL database it creates and drops.
 *
 * Part 1, rollup vs a bare GROUP BY: N raw queries of one day of one node (generated in SQL,
 * tests/rollup_bench_data.ts) and a few thousand orphan query-errors lines; then
 * `deno run -A main.ts rollup --from D --to D` end to end (start-up included), and
 * `rollupStatistics` of lib/rollup/rollup.ts in-process twice (the second run replaces the same
 * rows), with the time of each of its statements; against the reference of the same run: psql
 * running ONE `group by domain, apex_domain, qtype` of the seed's daily aggregates over the same
 * rows into a temp table, with `set work_mem = '64MB'` as the rollup sets in its transaction.
 * Prints both times and the ratio (target: ours <= 1.5 x the reference), and checks the rows:
 * sum(hit_count) = N + orphans, one dns_daily_stats row per reference group, and per group the
 * counts the reference computes (adjusted for the orphans).
 *
 * Part 2, report latency: 30 days of statistics of 1 or more nodes, as the rollup of ~1M
 * queries a day would leave them (Zipf names, most popular ones every day and a long tail of
 * one-off names, 2000 clients), generated straight into the statistics tables; then every report
 * of lib/report.ts through `runReport` on one connection (as `serve` runs them), warmed once
 * and run --runs times: p50 / p95 / max ms over 30 days, all nodes and one node, and
 * top-domains over 1 and 7 days (target: every report < 100 ms).
 *
 * Timings are printed, never asserted: the exit status is non-zero only when a run failed or
 * its rows are wrong.
 *
 * ```sh
 * deno task bench:rollup                                  # 5M rows, 30 days, 1 node
 * deno task bench:rollup --rows 500000 --nodes 2 --runs 10
 * DNSA_TEST_DATABASE_URL=postgres://u:p@host/postgres deno task bench:rollup --skip-reports
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { NO_DELAY_OPTIONS } from "../lib/db/socket.ts";
import { ROLLUP_SQL } from "../lib/db/statements.ts";
import { REPORTS, runReport } from "../lib/report.ts";
import { rollupStatistics } from "../lib/rollup/rollup.ts";
import {
  bindNamed,
  clientIpSql,
  CLIENTS,
  orphanSql,
  rawDaySql,
  statsSql,
} from "./rollup_bench_data.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DEFAULT_ADMIN_URL = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const PSQL = "/usr/bin/psql";
const DAY = "2026-11-20";
const STATS_FIRST_DAY = "2026-11-01";
/** The rollup sets this in its window's transaction (lib/rollup/rollup.ts); the reference too. */
const WORK_MEM = "64MB";
const TARGET_RATIO = 1.5;
const TARGET_MS = 100;

const HELP = `Usage: deno task bench:rollup [--rows N] [--orphans N] [--ref-runs N] [--days N]
                                 [--nodes N] [--runs N] [--skip-rollup] [--skip-reports]
                                 [--keep] [--seed N]

Part 1 (rollup vs bare GROUP BY):
  --rows N         raw queries of the day (default 5000000)
  --orphans N      orphan query-errors lines of the day (default 5000)
  --ref-runs N     runs of the psql reference, at least 3 (one before each rollup run);
                   the median is compared (default 3)
Part 2 (report latency):
  --days N         days of generated statistics (default 30)
  --nodes N        nodes (bench, bench2, ...; default 1)
  --runs N         timed runs of each report after one warm-up (default 20)
  --popular N      names queried every day (default 30000)
  --tail N         one-off names a day and node (default 20000)
  --per-day N      queries a day and node the statistics stand for (default 1000000)
Both:
  --skip-rollup, --skip-reports   leave out part 1 or part 2
  --keep           keep the database (its name is printed)
  --seed N         setseed() of the generators (default 0.2026)

Environment: DNSA_TEST_DATABASE_URL (admin URL, default ${DEFAULT_ADMIN_URL}).`;

const decoder = new TextDecoder();

/** Run psql with the usual batch-mode switches; returns its stdout. */
async function psql(url: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(PSQL, {
    args: ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, ...args],
    env: cleanEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`psql ${args.join(" ")} failed: ${decoder.decode(out.stderr).trim()}`);
  }
  return decoder.decode(out.stdout).trim();
}

/** The parent's environment without the program's keys, so nothing leaks into a child. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && !k.startsWith("PG")) {
      if (k !== "DATABASE_URL") env[k] = v;
    }
  }
  return env;
}

/** `deno run -A main.ts <args>` from the repository root; seconds from spawn to exit. */
async function runProgram(
  dbUrl: string,
  args: string[],
): Promise<{ seconds: number; code: number; stdout: string; stderr: string }> {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    env: {
      ...cleanEnv(),
      NO_COLOR: "1",
      DATABASE_URL: dbUrl,
      DNSA_NODE: "bench",
      DNSA_LOG_TZ: "UTC",
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    seconds: (performance.now() - start) / 1000,
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const sec = (s: number) => `${s.toFixed(2)} s`;
const median = (xs: number[]) => quantile(xs, 0.5);

/** Nearest-rank quantile. */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

function firstJson(stdout: string): Record<string, unknown> | null {
  for (const line of stdout.split("\n")) {
    try {
      const v = JSON.parse(line);
      if (v && typeof v === "object") return v;
    } catch { /* not JSON */ }
  }
  return null;
}

/**
 * What postgres.js sent on the benchmark's pool, and when: the gap to the next send is a
 * statement's time (round trip included). The day itself is read on the rollup's own reading
 * session (a worker thread), which this pool does not see; the writes of its batches are
 * here, overlapping the reading ("select 1" is the probe behind each COPY).
 */
class StatementClock {
  #sent: { at: number; label: string }[] = [];
  #labels = new Map<string, string>(
    Object.entries(ROLLUP_SQL).map(([name, text]) => [text.trim(), name]),
  );
  onQuery = (_conn: number, query: string) => {
    const text = query.trim();
    const label = this.#labels.get(text) ?? text.replace(/\s+/g, " ").slice(0, 40);
    this.#sent.push({ at: performance.now(), label });
  };
  start() {
    this.#sent = [];
  }
  /** Seconds per statement label (summed over repeats), up to `end`. */
  stop(end: number): Map<string, number> {
    const out = new Map<string, number>();
    this.#sent.forEach((s, i) => {
      const next = this.#sent[i + 1]?.at ?? end;
      out.set(s.label, (out.get(s.label) ?? 0) + (next - s.at) / 1000);
    });
    return out;
  }
}

/** Counts of the statistics tables, to compare runs. */
const COUNTS_SQL = `select
  (select count(*) from dns_daily_stats) as daily_stats,
  (select coalesce(sum(hit_count), 0) from dns_daily_stats) as hits,
  (select count(*) from dns_daily_domains) as daily_domains,
  (select count(*) from dns_daily_apexes) as daily_apexes,
  (select count(*) from dns_daily_clients) as daily_clients,
  (select count(*) from dns_daily_qtypes) as daily_qtypes,
  (select count(*) from dns_daily_totals) as daily_totals,
  (select count(*) from dns_hourly_stats) as hourly_stats,
  (select count(*) from dns_hourly_totals) as hourly_totals,
  (select count(*) from dns_domains_seen) as domains_seen`;

/**
 * Groups of dns_daily_stats that disagree with the reference (bench_ref: the reference query
 * over the raw rows) once the orphans of each (domain, qtype) are added: hits, SERVFAIL,
 * NXDOMAIN, first/last seen, and unique clients (exact where the group has no orphan, else
 * between the reference's and the reference's plus the orphans).
 */
const COMPARE_SQL = `with o as (
  select domain, qtype, count(*) as n, min(logged_at) as f, max(logged_at) as l
  from dns_query_errors group by 1, 2
)
select count(*) as bad, count(*) filter (where s.domain is null) as missing,
  count(*) filter (where r.domain is null) as extra
from bench_ref r
full join dns_daily_stats s on s.domain = r.domain and s.qtype = r.qtype
left join o on o.domain = r.domain and o.qtype = r.qtype
where s.domain is null or r.domain is null
  or s.hit_count <> r.hits + coalesce(o.n, 0)
  or s.servfail_count <> r.servfail + coalesce(o.n, 0)
  or s.nxdomain_count <> r.nxdomain
  or s.apex_domain is distinct from r.apex_domain
  or s.first_seen <> least(r.first_seen, o.f) or s.last_seen <> greatest(r.last_seen, o.l)
  or s.unique_clients < r.clients or s.unique_clients > r.clients + coalesce(o.n, 0)
  or cardinality(s.client_hashes) <> least(s.unique_clients, 256)`;

function referenceSql(nodeId: number, into: string): string {
  return `${into} select domain, apex_domain, qtype, count(*) as hits,
  count(distinct client_ip) as clients,
  count(*) filter (where response_rcode = 'NXDOMAIN') as nxdomain,
  count(*) filter (where response_rcode = 'SERVFAIL') as servfail,
  min(queried_at) as first_seen, max(queried_at) as last_seen
from dns_queries
where node_id = ${nodeId} and queried_at >= '${DAY} 00:00:00+00'
  and queried_at < timestamptz '${DAY} 00:00:00+00' + interval '1 day'
group by domain, apex_domain, qtype`;
}

interface Options {
  rows: number;
  orphans: number;
  refRuns: number;
  days: number;
  nodes: number;
  runs: number;
  popular: number;
  tail: number;
  perDay: number;
  seed: number;
}

type Fail = (message: string) => void;

async function partRollup(
  sql: postgres.Sql,
  clock: StatementClock,
  dbUrl: string,
  o: Options,
  fail: Fail,
): Promise<string[]> {
  const log = (m: string) => console.error(`rollup_bench: ${m}`);
  const t0 = performance.now();
  const [node] = await sql<{ node_id: number }[]>`
    insert into dns_nodes (node_name) values ('bench') returning node_id`;
  const nodeId = node.node_id;
  await sql`select dnsa_ensure_day_partition(${DAY}, 'UTC')`;
  await sql.unsafe(`select setseed(${o.seed})`);
  await sql.unsafe(rawDaySql({ day: DAY, rows: o.rows, nodeId }));
  // Rows inserted through the view wait in dns_query_staged; ingest writes blocks.
  await sql`select dnsa_pack_rows('dns_query_staged'::regclass)`;
  const orphans = (await sql.unsafe(
    orphanSql({ day: DAY, orphans: o.orphans, rows: o.rows, nodeId }),
  )).count;
  if (orphans !== o.orphans) fail(`generated ${orphans} orphan lines, asked ${o.orphans}`);
  // What ingest leaves beside its rows: a checkpoint (the node is local, so a rollup with
  // dates rebuilds it) and the day's hours marked for the rollup.
  await sql`insert into ingest_checkpoints (node_id, fingerprint, path, byte_offset)
    values (${nodeId}, 'rollup_bench', 'rollup_bench', 0)`;
  await sql`insert into rollup_dirty (node_id, stat_hour, seq)
    select ${nodeId}, h, nextval('rollup_dirty_seq') from generate_series(
      ${DAY}::timestamptz, ${DAY}::timestamptz + interval '23 hours', interval '1 hour') h`;
  await sql`vacuum analyze`;
  const genSeconds = (performance.now() - t0) / 1000;
  const [shape] = await sql<{ size: string }[]>`
    select pg_size_pretty(pg_total_relation_size('dns_queries_p' || replace(${DAY}, '-', '')))
      as size`;
  log(`generated ${fmtInt(o.rows)} rows + ${orphans} orphans in ${sec(genSeconds)}`);
  const expectedHits = o.rows + orphans;

  // The reference, untimed, kept to check the rollup's rows.
  await sql.unsafe(referenceSql(nodeId, "create table bench_ref as"));
  const [ref] = await sql<{ n: string }[]>`select count(*) as n from bench_ref`;
  const refGroups = Number(ref.n);

  const refRuns: { seconds: number; timingMs: number }[] = [];
  const runReference = async () => {
    const start = performance.now();
    const out = await new Deno.Command(PSQL, {
      args: [
        "-X",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        dbUrl,
        "-c",
        `set work_mem = '${WORK_MEM}'`,
        "-c",
        "\\timing on",
        "-c",
        referenceSql(nodeId, "create temp table ref as"),
      ],
      env: cleanEnv(),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - start) / 1000;
    const text = decoder.decode(out.stdout);
    if (!out.success) {
      fail(`reference psql exited ${out.code}: ${decoder.decode(out.stderr).trim()}`);
      return;
    }
    const rows = Number(/^SELECT (\d+)/m.exec(text)?.[1]);
    if (rows !== refGroups) fail(`reference made ${rows} rows, expected ${refGroups}`);
    const timingMs = Number(/Time: ([\d.]+) ms/.exec(text.slice(text.indexOf("SELECT")))?.[1]);
    refRuns.push({ seconds, timingMs });
    log(`reference run ${refRuns.length}: ${sec(seconds)} (\\timing ${fmtInt(timingMs)} ms)`);
  };

  const checkRun = async (name: string): Promise<Record<string, string>> => {
    const [counts] = await sql.unsafe<Record<string, string>[]>(COUNTS_SQL);
    if (Number(counts.hits) !== expectedHits) {
      fail(`${name}: sum(hit_count) = ${counts.hits}, expected ${expectedHits}`);
    }
    if (Number(counts.daily_stats) !== refGroups) {
      fail(`${name}: ${counts.daily_stats} (domain, qtype) rows, reference ${refGroups}`);
    }
    const [cmp] = await sql.unsafe<{ bad: string; missing: string; extra: string }[]>(
      COMPARE_SQL,
    );
    if (Number(cmp.bad) !== 0) {
      fail(
        `${name}: ${cmp.bad} dns_daily_stats groups disagree with the reference ` +
          `(${cmp.missing} missing, ${cmp.extra} extra)`,
      );
    }
    return counts;
  };

  // Reference first (also warms the page cache), ours, then the reference again.
  await runReference();
  await sql`checkpoint`;
  log("dns-analytics rollup (CLI) ...");
  const cli = await runProgram(dbUrl, ["rollup", "--from", DAY, "--to", DAY]);
  const cliJson = firstJson(cli.stdout);
  if (cli.code !== 0) fail(`rollup exited ${cli.code}: ${cli.stderr.trim().slice(-2000)}`);
  else if (cliJson?.rows !== expectedHits || cliJson?.windows !== 1) {
    fail(`rollup printed ${JSON.stringify(cliJson)}, expected rows ${expectedHits}, 1 window`);
  }
  log(`CLI rollup: ${sec(cli.seconds)}`);
  const countsCli = await checkRun("CLI rollup");

  const inProcess: {
    seconds: number;
    steps: Map<string, number>;
    counts: Record<string, string>;
  }[] = [];
  for (let i = 1; i <= 2; i++) {
    await runReference();
    await sql`checkpoint`;
    clock.start();
    const start = performance.now();
    const result = await rollupStatistics(sql, { tz: "UTC", from: DAY, to: DAY });
    const end = performance.now();
    const steps = clock.stop(end);
    if (result.windows !== 1 || result.rows !== expectedHits) {
      fail(`in-process run ${i}: ${JSON.stringify(result)}, expected 1 window, ${expectedHits}`);
    }
    log(`in-process rollup ${i}: ${sec((end - start) / 1000)}`);
    inProcess.push({ seconds: (end - start) / 1000, steps, counts: await checkRun(`run ${i}`) });
  }
  for (let i = refRuns.length; i < o.refRuns; i++) await runReference();
  const same = [countsCli, ...inProcess.map((r) => r.counts)].every((c) =>
    JSON.stringify(c) === JSON.stringify(countsCli)
  );
  if (!same) {
    fail(`row counts differ between runs: ${JSON.stringify(inProcess.map((r) => r.counts))}`);
  }

  const refEnd = median(refRuns.map((r) => r.seconds));
  const refTiming = median(refRuns.map((r) => r.timingMs)) / 1000;
  const inMedian = median(inProcess.map((r) => r.seconds));
  const stepNames = [...new Set(inProcess.flatMap((r) => [...r.steps.keys()]))];
  const heavy = stepNames.filter((n) => inProcess.some((r) => (r.steps.get(n) ?? 0) >= 0.05));
  const light = stepNames.filter((n) => !heavy.includes(n));
  const lightSum = (r: (typeof inProcess)[number]) =>
    light.reduce((s, n) => s + (r.steps.get(n) ?? 0), 0);
  const c = countsCli;
  return [
    `part 1: rollup of one day vs one bare GROUP BY (day ${DAY}, node bench, zone UTC)`,
    `  raw rows       ${fmtInt(o.rows)} in dns_queries (${shape.size}), ${fmtInt(orphans)} ` +
    `orphan query-errors lines; ${fmtInt(Number(c.daily_domains))} names, ` +
    `${fmtInt(Number(c.daily_clients))} clients; generated in ${sec(genSeconds)}`,
    `  ours (CLI)     ${sec(cli.seconds)}  deno run -A main.ts rollup --from ${DAY} --to ${DAY} ` +
    `(start-up included)`,
    `  ours (lib)     ${inProcess.map((r, i) => `run ${i + 1} ${sec(r.seconds)}`).join(", ")}  ` +
    `rollupStatistics() in-process; run 2 replaces run 1's rows`,
    `  reference      ${sec(refEnd)} median of ${refRuns.length} psql runs end to end ` +
    `(${refRuns.map((r) => r.seconds.toFixed(2)).join(", ")}); \\timing of the statement ` +
    `${sec(refTiming)}; psql -c "set work_mem='${WORK_MEM}'" (the rollup sets work_mem = ` +
    `${WORK_MEM} in its transaction) then ONE create temp table ref as select ... group by ` +
    `domain, apex_domain, qtype`,
    `  ratio          ${(cli.seconds / refEnd).toFixed(2)} x (CLI / psql, end to end; target <= ` +
    `${TARGET_RATIO})${cli.seconds / refEnd <= TARGET_RATIO ? "" : "  MISSED"}; in-process ` +
    `median / \\timing: ${(inMedian / refTiming).toFixed(2)} x`,
    `  rollup steps   seconds between the statements rollupStatistics sent on its pool ` +
    `(run 1 / run 2; the day is read meanwhile on the reading thread's own session):`,
    ...heavy.map((n) =>
      `    ${n.padEnd(16)} ${
        inProcess.map((r) => (r.steps.get(n) ?? 0).toFixed(2).padStart(7)).join(" /")
      }`
    ),
    `    ${"(others)".padEnd(16)} ${
      inProcess.map((r) => lightSum(r).toFixed(2).padStart(7)).join(" /")
    }  ${light.length} statements: locks, marks, bounds, counts, commit`,
    `  checks         rollup rows ${cliJson?.rows} = ${fmtInt(o.rows)} + ${orphans} orphans; ` +
    `sum(hit_count) ${c.hits}; dns_daily_stats rows ${c.daily_stats} = reference groups ` +
    `${refGroups}; every group's hits, SERVFAIL, NXDOMAIN, first/last seen, apex and unique ` +
    `clients agree with the reference (+ orphans); counts identical over the 3 runs: ${same}`,
    `  rows           daily_domains ${c.daily_domains}, daily_apexes ${c.daily_apexes}, ` +
    `daily_clients ${c.daily_clients}, daily_qtypes ${c.daily_qtypes}, daily_totals ` +
    `${c.daily_totals}, hourly_stats ${c.hourly_stats}, hourly_totals ${c.hourly_totals}, ` +
    `domains_seen ${c.domains_seen}`,
  ];
}

async function partReports(sql: postgres.Sql, o: Options, fail: Fail): Promise<string[]> {
  const log = (m: string) => console.error(`rollup_bench: ${m}`);
  const nodes = Array.from({ length: o.nodes }, (_, i) => i === 0 ? "bench" : `bench${i + 1}`);
  // Only the generated statistics: part 1's are cleared, and its raw day dropped.
  await sql.unsafe(`truncate dns_daily_stats, dns_daily_domains, dns_daily_apexes,
    dns_daily_clients, dns_daily_qtypes, dns_daily_totals, dns_hourly_stats, dns_hourly_totals,
    dns_domains_seen`);
  await sql.unsafe(
    `drop table if exists bench_ref; drop table if exists dns_queries_p${DAY.replaceAll("-", "")}`,
  );
  await sql.unsafe(`select setseed(${o.seed})`);
  const [pool] = await sql.unsafe<{ h: string }[]>(
    `select array(select hashinetextended(${
      clientIpSql("c")
    }, 0) from generate_series(1, ${CLIENTS}) c order by 1)::text as h`,
  );
  const t0 = performance.now();
  const steps: string[] = [];
  for (
    const s of statsSql({
      firstDay: STATS_FIRST_DAY,
      days: o.days,
      popular: o.popular,
      tail: o.tail,
      queriesPerDay: o.perDay,
    })
  ) {
    const t = performance.now();
    const b = bindNamed(s.sql, { pool: pool.h, nodes });
    const r = await sql.unsafe(b.sql, b.params as never[]);
    steps.push(`${s.name} ${fmtInt(r.count)}`);
    log(`${s.name}: ${fmtInt(r.count)} rows in ${sec((performance.now() - t) / 1000)}`);
  }
  const tv = performance.now();
  await sql`vacuum analyze`;
  const genSeconds = (performance.now() - t0) / 1000;
  log(
    `statistics generated in ${sec(genSeconds)} (vacuum analyze ${
      sec((performance.now() - tv) / 1000)
    })`,
  );
  const [tot] = await sql<{ days: string; hits: string; domains: string; size: string }[]>`
    select count(distinct stat_date) as days, sum(hit_count) as hits,
      round(avg(unique_domains)) as domains,
      (select pg_size_pretty(sum(pg_total_relation_size(c))) from unnest(array[
        'dns_daily_stats', 'dns_daily_domains', 'dns_daily_apexes', 'dns_daily_clients',
        'dns_daily_qtypes', 'dns_daily_totals', 'dns_hourly_totals', 'dns_domains_seen'
      ]::regclass[]) c) as size
    from dns_daily_totals`;
  if (Number(tot.days) !== o.days) fail(`generated ${tot.days} days, asked ${o.days}`);

  const lastDay = new Date(Date.parse(`${STATS_FIRST_DAY}T00:00:00Z`) + (o.days - 1) * 86_400_000);
  const now = new Date(lastDay.getTime() + 18 * 3_600_000);
  interface Case {
    report: string;
    days: number;
    nodes?: string[];
  }
  const cases: Case[] = [];
  for (const report of Object.keys(REPORTS)) {
    cases.push({ report, days: o.days }, { report, days: o.days, nodes: ["bench"] });
  }
  for (const days of [1, 7]) {
    cases.push({ report: "top-domains", days }, { report: "top-domains", days, nodes: ["bench"] });
  }
  const lines: string[] = [];
  const misses: string[] = [];
  for (const c of cases) {
    const options = {
      days: c.days,
      tz: "UTC",
      now,
      nodes: c.nodes,
      limit: REPORTS[c.report].limit,
    };
    let t = performance.now();
    const first = await runReport(sql, c.report, options);
    const warm = performance.now() - t;
    if (first.rows.length === 0) fail(`${c.report} (${c.days} days) returned no rows`);
    const ms: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      t = performance.now();
      await runReport(sql, c.report, options);
      ms.push(performance.now() - t);
    }
    const p95 = quantile(ms, 0.95), max = Math.max(...ms);
    const label = `${c.report} ${c.days}d ${c.nodes ? "--node bench" : "all nodes"}`;
    if (p95 >= TARGET_MS) misses.push(label);
    lines.push(
      `    ${c.report.padEnd(17)} ${String(c.days).padStart(3)}  ${
        (c.nodes ? "bench" : "all").padEnd(6)
      } ${String(first.rows.length).padStart(5)} ${warm.toFixed(1).padStart(8)} ${
        median(ms).toFixed(1).padStart(8)
      } ${p95.toFixed(1).padStart(8)} ${max.toFixed(1).padStart(8)}${
        p95 >= TARGET_MS ? "  MISSED" : ""
      }`,
    );
  }
  return [
    `part 2: report latency over ${o.days} days of statistics (${o.nodes} node${
      o.nodes > 1 ? "s" : ""
    }: ${nodes.join(", ")}; ${STATS_FIRST_DAY} .. ${lastDay.toISOString().slice(0, 10)})`,
    `  statistics     ~${fmtInt(o.perDay)} queries a day and node (${fmtInt(Number(tot.hits))} ` +
    `in all), ${fmtInt(Number(tot.domains))} names a day (${fmtInt(o.popular)} every day, ` +
    `${fmtInt(o.tail)} one-off), ${CLIENTS} clients; ${tot.size}; generated in ${
      sec(genSeconds)
    } (vacuum analyze included)`,
    `  rows           ${steps.join(", ")}; dns_hourly_stats not generated (no report reads it)`,
    `  timing         runReport() of lib/report.ts on one connection (prepared statements, as ` +
    `serve runs them), each report's default limit, now = ${now.toISOString()}; ` +
    `1 warm-up run then ${o.runs} timed runs, ms`,
    `    report            days  nodes   rows   warm-up      p50      p95      max`,
    ...lines,
    `  target         every report < ${TARGET_MS} ms (p95): ${
      misses.length === 0 ? "met" : `MISSED by ${misses.join("; ")}`
    }`,
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rows: { type: "string", default: "5000000" },
      orphans: { type: "string", default: "5000" },
      "ref-runs": { type: "string", default: "3" },
      days: { type: "string", default: "30" },
      nodes: { type: "string", default: "1" },
      runs: { type: "string", default: "20" },
      popular: { type: "string", default: "30000" },
      tail: { type: "string", default: "20000" },
      "per-day": { type: "string", default: "1000000" },
      "skip-rollup": { type: "boolean", default: false },
      "skip-reports": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      seed: { type: "string", default: "0.2026" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const num = (s: string) => Number(s.replaceAll("_", ""));
  const o: Options = {
    rows: num(values.rows),
    orphans: num(values.orphans),
    refRuns: num(values["ref-runs"]),
    days: num(values.days),
    nodes: num(values.nodes),
    runs: num(values.runs),
    popular: num(values.popular),
    tail: num(values.tail),
    perDay: num(values["per-day"]),
    seed: Number(values.seed),
  };
  const positive = [o.rows, o.refRuns, o.days, o.nodes, o.runs, o.popular, o.perDay];
  if (
    !positive.every((n) => Number.isSafeInteger(n) && n >= 1) ||
    ![o.orphans, o.tail].every((n) => Number.isSafeInteger(n) && n >= 0) ||
    o.orphans > o.rows / 10 || !(o.seed >= -1 && o.seed <= 1)
  ) {
    console.error(
      `rollup_bench: counts take positive integers (--orphans at most rows / 10), ` +
        `--seed a number in [-1, 1]\n\n${HELP}`,
    );
    return 64;
  }
  const adminUrl = Deno.env.get("DNSA_TEST_DATABASE_URL") ?? DEFAULT_ADMIN_URL;
  const dbName = `dnsa_rollup_bench_${Deno.pid}`;
  const dbUrlObject = new URL(adminUrl);
  dbUrlObject.pathname = `/${dbName}`;
  const dbUrl = dbUrlObject.href;
  let created = false;
  let failed = false;
  const fail: Fail = (message) => {
    console.error(`rollup_bench: ${message}`);
    failed = true;
  };
  const clock = new StatementClock();
  let sql: postgres.Sql | null = null;
  const report: string[] = [];
  const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  const loadBefore = load();
  try {
    await psql(adminUrl, "-c", `drop database if exists ${dbName} with (force)`);
    await psql(adminUrl, "-c", `create database ${dbName}`);
    created = true;
    const migrate = await runProgram(dbUrl, ["migrate"]);
    if (migrate.code !== 0) throw new Error(`migrate exited ${migrate.code}: ${migrate.stderr}`);
    // One connection: the generators' setseed() holds for their session, and the reports
    // run on one connection as serve's pool would.
    // As the program connects: TCP_NODELAY (lib/db/socket.ts).
    sql = postgres(dbUrl, {
      max: 6,
      onnotice: () => {},
      debug: clock.onQuery,
      ...NO_DELAY_OPTIONS,
    });
    const [v] = await sql<{ version: string; settings: string }[]>`
      select version() as version, 'shared_buffers=' || current_setting('shared_buffers') ||
        ' work_mem=' || current_setting('work_mem') || ' hash_mem_multiplier=' ||
        current_setting('hash_mem_multiplier') || ' max_parallel_workers_per_gather=' ||
        current_setting('max_parallel_workers_per_gather') || ' jit=' ||
        current_setting('jit') || ' temp_buffers=' || current_setting('temp_buffers')
        as settings`;
    report.push(
      `rollup benchmark (database ${dbName}, seed ${o.seed})`,
      `  versions       Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ${v.version}; ` +
        v.settings,
    );
    if (!values["skip-rollup"]) report.push(...await partRollup(sql, clock, dbUrl, o, fail));
    if (!values["skip-reports"]) report.push(...await partReports(sql, o, fail));
    report.push(
      `  machine        ${navigator.hardwareConcurrency} CPUs; load average ${loadBefore} ` +
        `before, ${load()} after (other benchmarks share this machine)`,
    );
    if (failed) {
      report.unshift("rollup benchmark FAILED (see the messages above): the figures are not valid");
    }
    console.log(report.join("\n"));
  } catch (error) {
    fail(error instanceof Error ? error.stack ?? error.message : String(error));
    if (report.length) console.log(report.join("\n"));
  } finally {
    await sql?.end({ timeout: 5 });
    if (created && !values.keep) {
      await psql(adminUrl, "-c", `drop database if exists ${dbName} with (force)`).catch((e) =>
        console.error(`rollup_bench: could not drop ${dbName}: ${e.message}`)
      );
    } else if (created) console.error(`rollup_bench: kept database ${dbName}`);
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
