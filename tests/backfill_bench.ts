/**
 * Backfill benchmark: `dns-analytics ingest` of N synthetic BIND 9.18 query-log lines into a
 * fresh PostgreSQL database, end to end (start-up and migrations included), against the
 * reference of DESIGN.md "Targets": `psql \copy` of the same rows, as CSV, into a plain table
 * with the seed's nine columns and no index, in the same run on the same server.
 *
 * Prints lines, file size, seconds and rows/s of both, the ratio (target ≥ 80%), peak RSS of
 * the program (target < 300 MB on 5M lines), CPU of the program and of PostgreSQL, and the
 * versions. Timings are reported, never asserted: the exit status is non-zero only when a run
 * failed (subprocess error, wrong row count, rejected lines).
 *
 * ```sh
 * deno task bench:backfill                     # 5M lines
 * deno task bench:backfill --lines 1000000 --keep
 * DNSA_TEST_DATABASE_URL=postgres://u:p@host/postgres deno task bench:backfill --batch-rows 50000
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BenchLinesStats, writeBenchLines } from "./bench_lines.ts";
import { type ProcessUsage, watchProcess } from "./bench_process.ts";

const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const DEFAULT_ADMIN_URL = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const GNU_TIME = "/usr/bin/time";
const REF_TABLE = `create table ref_queries (queried_at timestamptz, client_ip inet,
  client_port int, domain text, apex_domain text, qtype text, flags text,
  response_rcode text, cached boolean)`;

const HELP = `Usage: deno task bench:backfill [--lines N] [--keep] [--seed N] [--batch-rows N]
                                   [--embedded-lines N]

  --lines N        query-log lines to generate and ingest (default 5000000)
  --keep           keep the temp directory (log, CSV) and print its path
  --seed N         PRNG seed of the generator (default 20261125)
  --batch-rows N   passed to "dns-analytics ingest --batch-rows"
  --embedded-lines N  also ingest the first N lines (default 1000000; 0 = skip) into the
                   embedded database (PGlite), beside PostgreSQL

Environment: DNSA_TEST_DATABASE_URL (admin URL, default ${DEFAULT_ADMIN_URL}).`;

/** Outcome of one timed subprocess. */
interface TimedRun {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
  usage: ProcessUsage;
  /** GNU time's max RSS (KiB) and user/sys seconds, when /usr/bin/time wrapped the run. */
  gnu: { maxRssKb: number; user: number; sys: number } | null;
}

const decoder = new TextDecoder();

/** Run `psql` against `url` with the usual batch-mode switches; returns its stdout. */
async function psql(url: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("psql", {
    args: ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`psql ${args.join(" ")} failed: ${decoder.decode(out.stderr).trim()}`);
  }
  return decoder.decode(out.stdout).trim();
}

async function hasGnuTime(): Promise<boolean> {
  try {
    return (await Deno.stat(GNU_TIME)).isFile;
  } catch {
    return false;
  }
}

/**
 * Run `cmd args` from spawn to exit, under GNU time when it exists, while polling the process
 * tree's /proc status (VmHWM, CPU) and PostgreSQL's processes.
 */
async function timedRun(
  cmd: string,
  args: string[],
  options: { env: Record<string, string>; dbName: string; dir: string; gnuTime: boolean },
): Promise<TimedRun> {
  const timeFile = `${options.dir}/time.${Math.random().toString(36).slice(2)}`;
  const argv = options.gnuTime
    ? [GNU_TIME, "-f", "%M %U %S", "-o", timeFile, cmd, ...args]
    : [cmd, ...args];
  const start = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const watch = watchProcess(child.pid, { dbName: options.dbName, intervalMs: 50 });
  const status = await child.status;
  const seconds = (performance.now() - start) / 1000;
  const usage = watch.stop();
  const out = await child.output();
  let gnu = null;
  if (options.gnuTime) {
    const last = (await Deno.readTextFile(timeFile)).trim().split("\n").at(-1) ?? "";
    const [rss, user, sys] = last.split(" ").map(Number);
    if (Number.isFinite(rss)) gnu = { maxRssKb: rss, user, sys };
    await Deno.remove(timeFile);
  }
  return {
    seconds,
    code: status.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    usage,
    gnu,
  };
}

/** The parent's environment without the program's keys, so nothing leaks into the run. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && k !== "DATABASE_URL") env[k] = v;
  }
  return env;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const cpu = (s: number) => `${s.toFixed(1)} s`;

function describeUsage(run: TimedRun, name: string): string {
  const u = run.usage;
  const own = u.processes.filter((p) => p.name !== "time");
  const ownCpu = run.gnu ? run.gnu.user + run.gnu.sys : own.reduce((s, p) => s + p.cpuSeconds, 0);
  return `${name} ${cpu(ownCpu)} (${(100 * ownCpu / run.seconds).toFixed(0)}% of one vCPU), ` +
    `postgres backend ${cpu(u.postgres.backend)}, background ${cpu(u.postgres.background)}` +
    (u.postgres.other > 0.05 ? `, other sessions ${cpu(u.postgres.other)}` : "");
}

function lastJsonLine(stdout: string): Record<string, unknown> | null {
  const last = stdout.trimEnd().split("\n").at(-1) ?? "";
  try {
    const value = JSON.parse(last);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      lines: { type: "string", default: "5000000" },
      keep: { type: "boolean", default: false },
      seed: { type: "string", default: "20261125" },
      "batch-rows": { type: "string" },
      "embedded-lines": { type: "string", default: "1000000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const lines = Number(values.lines.replaceAll("_", ""));
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(lines) || lines < 1 || !Number.isSafeInteger(seed)) {
    console.error(`backfill_bench: --lines and --seed take positive integers\n\n${HELP}`);
    return 64;
  }
  const adminUrl = Deno.env.get("DNSA_TEST_DATABASE_URL") ?? DEFAULT_ADMIN_URL;
  // DNSA_BENCH_DB_PREFIX: where several benchmarks share one server, a prefix of their own.
  const dbName = `${Deno.env.get("DNSA_BENCH_DB_PREFIX") ?? ""}dnsa_bench_${Deno.pid}`;
  const dbUrlObject = new URL(adminUrl);
  dbUrlObject.pathname = `/${dbName}`;
  const dbUrl = dbUrlObject.href;
  const dir = await Deno.makeTempDir({ prefix: "dnsa_backfill_" });
  const logPath = `${dir}/queries.log`;
  const csvPath = `${dir}/ref_queries.csv`;
  const gnuTime = await hasGnuTime();
  let created = false;
  let failed = false;
  const fail = (message: string) => {
    console.error(`backfill_bench: ${message}`);
    failed = true;
  };
  try {
    const t0 = performance.now();
    const gen: BenchLinesStats = await writeBenchLines(logPath, csvPath, { lines, seed });
    console.error(
      `generated ${fmtInt(lines)} lines (${mb(gen.logBytes)} MB log, ${mb(gen.csvBytes)} MB CSV)` +
        ` in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    await psql(adminUrl, "-c", `drop database if exists ${dbName} with (force)`);
    await psql(adminUrl, "-c", `create database ${dbName}`);
    created = true;
    await psql(dbUrl, "-c", REF_TABLE);
    const pgVersion = await psql(dbUrl, "-c", "select version()");
    const pgSettings = await psql(
      dbUrl,
      "-F",
      " ",
      "-c",
      "select 'shared_buffers=' || current_setting('shared_buffers'), " +
        "'max_wal_size=' || current_setting('max_wal_size'), " +
        "'synchronous_commit=' || current_setting('synchronous_commit')",
    );

    // The reference: psql start-up included, as the program's start-up is.
    await psql(adminUrl, "-c", "checkpoint");
    const ref = await timedRun("psql", [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-d",
      dbUrl,
      "-c",
      `\\copy ref_queries from '${csvPath}' (format csv)`,
    ], { env: cleanEnv(), dbName, dir, gnuTime });
    if (ref.code !== 0) fail(`psql \\copy exited ${ref.code}: ${ref.stderr.trim()}`);
    const refCount = Number(await psql(dbUrl, "-c", "select count(*) from ref_queries"));
    if (refCount !== lines) fail(`ref_queries holds ${refCount} rows, expected ${lines}`);

    // Ours: the program as a user runs it, migrations included.
    await psql(adminUrl, "-c", "checkpoint");
    const batchArgs = values["batch-rows"] ? ["--batch-rows", values["batch-rows"]] : [];
    const ours = await timedRun(Deno.execPath(), [
      "task",
      "--quiet",
      "--config",
      CONFIG,
      "ingest",
      ...batchArgs,
      logPath,
    ], {
      env: {
        ...cleanEnv(),
        NO_COLOR: "1",
        DATABASE_URL: dbUrl,
        DNSA_LOG_TZ: "UTC",
        DNSA_NODE: "bench",
      },
      dbName,
      dir,
      gnuTime,
    });
    const summary = lastJsonLine(ours.stdout);
    if (ours.code !== 0) fail(`ingest exited ${ours.code}:\n${ours.stderr.trim().slice(-4000)}`);
    if (!summary) fail(`ingest printed no JSON summary as its last stdout line`);
    else {
      if (summary.rows !== lines) fail(`summary rows=${summary.rows}, expected ${lines}`);
      if (summary.rejected !== 0) fail(`summary rejected=${summary.rejected}, expected 0`);
    }
    let ourCount = -1, partitions = -1, apexDiff = "";
    if (ours.code === 0) {
      ourCount = Number(await psql(dbUrl, "-c", "select count(*) from dns_queries"));
      if (ourCount !== lines) fail(`dns_queries holds ${ourCount} rows, expected ${lines}`);
      partitions = Number(
        await psql(
          dbUrl,
          "-c",
          "select count(*) from dnsa_partition_bounds()",
        ),
      );
      // Not a failure: shows whether our apex_domain and lower-casing agree with the generator.
      apexDiff = await psql(
        dbUrl,
        "-F",
        " ",
        "-c",
        "with d as (select distinct domain, apex_domain from dns_queries " +
          "except select distinct domain, apex_domain from ref_queries) " +
          "select count(*), string_agg(domain || '→' || coalesce(apex_domain, 'NULL'), ', ') " +
          "filter (where rn <= 3) from (select *, row_number() over () rn from d) x",
      );
    }

    // The embedded database (PGlite, no COPY over its socket: unnest) on the first lines.
    const embLines = Math.min(lines, Number(values["embedded-lines"]));
    let embedded = "skipped (--embedded-lines 0)";
    if (embLines > 0) {
      const embLog = `${dir}/embedded.log`, embCsv = `${dir}/embedded.csv`;
      await writeBenchLines(embLog, embCsv, { lines: embLines, seed });
      const embEnv = {
        ...cleanEnv(),
        NO_COLOR: "1",
        DNSA_DATA_DIR: `${dir}/embedded-data`,
        DNSA_LOG_TZ: "UTC",
        DNSA_NODE: "bench",
      };
      // Creating the database (initdb in WASM, a few seconds) is not ingest: do it first.
      const created = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "--config", CONFIG, "migrate"],
        env: embEnv,
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      }).output();
      if (created.code !== 0) fail("embedded migrate failed");
      const emb = await timedRun(Deno.execPath(), [
        "task",
        "--quiet",
        "--config",
        CONFIG,
        "ingest",
        embLog,
      ], {
        env: embEnv,
        dbName,
        dir,
        gnuTime,
      });
      const last = emb.stdout.trimEnd().split("\n").at(-1) ?? "";
      let rows = -1;
      try {
        rows = JSON.parse(last).rows;
      } catch {
        rows = -1;
      }
      if (emb.code !== 0 || rows !== embLines) {
        fail(
          `embedded ingest: exit ${emb.code}, rows ${rows} of ${embLines}: ${emb.stderr.trim()}`,
        );
      }
      embedded = `${fmtInt(embLines)} lines in ${emb.seconds.toFixed(2)} s, ` +
        `${fmtInt(embLines / emb.seconds)} rows/s (target >= 50,000; start-up included, ` +
        `database created beforehand), ${
          (100 * (embLines / emb.seconds) / (lines / ours.seconds)).toFixed(1)
        }% ` +
        "of PostgreSQL's rate above";
    }

    const ratio = ref.seconds / ours.seconds;
    const peakKb = Math.max(0, ...ours.usage.processes.map((p) => p.hwmKb));
    const seen = ours.usage.processes.map((p) => `${p.name}[${p.pid}]`).join(", ");
    const day = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 23);
    const report = [
      `backfill benchmark: dns-analytics ingest vs psql \\copy (seed ${seed}, MB = 10^6 bytes)`,
      `  lines          ${fmtInt(lines)}: ${mb(gen.logBytes)} MB log, ${
        mb(gen.csvBytes)
      } MB CSV, ` +
      `${day(gen.firstAt)} .. ${day(gen.lastAt)} UTC (${gen.days.length} days)`,
      `  ours           ${ours.seconds.toFixed(2)} s, ${fmtInt(lines / ours.seconds)} rows/s ` +
      `(deno task ingest${batchArgs.length ? " " + batchArgs.join(" ") : ""}, ` +
      `start-up and migrations included)`,
      `  reference      ${ref.seconds.toFixed(2)} s, ${fmtInt(lines / ref.seconds)} rows/s ` +
      `(psql \\copy CSV into 9 columns, no index, start-up included)`,
      `  ratio          ${(100 * ratio).toFixed(1)}% of the reference (target >= 80%)`,
      `  peak RSS       ${mb(peakKb * 1024)} MB (target < 300 MB on 5M lines); ` +
      `VmHWM of /proc/<pid>/status polled every 50 ms over the process tree: ${seen}` +
      (ours.gnu ? `; GNU time -f %M: ${mb(ours.gnu.maxRssKb * 1024)} MB` : ""),
      `  embedded       ${embedded}`,
      `  CPU ours       ${describeUsage(ours, "deno")}`,
      `  CPU reference  ${describeUsage(ref, "psql")}`,
      `  checks         summary rows=${summary?.rows} rejected=${summary?.rejected} ` +
      `skipped=${summary?.skipped} pending=${summary?.pending}; count(*) dns_queries=${ourCount}, ` +
      `ref_queries=${refCount}; day partitions=${partitions}; ` +
      `(domain, apex) pairs differing from the reference: ${apexDiff || "n/a"}`,
      `  apex_domain    reference: the generator's registrable domain (one label above ` +
      `co.uk/co.ug/ac.ug/in-addr.arpa/ip6.arpa, else the last two labels = PSL for these names)`,
      `  versions       Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ${pgVersion}; ` +
      pgSettings,
      `  summary        ${ours.stdout.trimEnd().split("\n").at(-1) ?? ""}`,
    ];
    if (failed) {
      report.unshift(
        "backfill benchmark FAILED (see the messages above): the figures below are not valid",
      );
    }
    console.log(report.join("\n"));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  } finally {
    if (created) {
      await psql(adminUrl, "-c", `drop database if exists ${dbName} with (force)`).catch((e) =>
        console.error(`backfill_bench: could not drop ${dbName}: ${e.message}`)
      );
    }
    if (values.keep) console.error(`kept ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
