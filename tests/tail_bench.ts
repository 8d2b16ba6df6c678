/**
 * Live-tail benchmark: `serve` follows a query log that a writer appends to at a fixed rate
 * (with BIND's rename rotation); the delay from writing a line to its row being committed is
 * measured for every line (the writer's clock against commits seen by polling the row count
 * every 50 ms), and serve's CPU and RSS are sampled from /proc. Prints the delay distribution;
 * asserts nothing about time.
 *
 * ```sh
 * deno task bench:tail                      # 20 000 lines/s for 30 s
 * deno task bench:tail --rate 5000 --seconds 60
 * ```
 *
 * Needs PostgreSQL: DNSA_TEST_DATABASE_URL (admin URL; default postgres://postgres:postgres@127.0.0.1/postgres).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import postgres from "postgres";
import { RotatingLog, TrafficGenerator } from "../lib/demo/traffic.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function procStats(pid: number): { cpuS: number; rssMb: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuS: (Number(stat[11]) + Number(stat[12])) / 100, rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rate: { type: "string", default: "20000" },
      seconds: { type: "string", default: "30" },
    },
  });
  const rate = Number(values.rate), seconds = Number(values.seconds);
  const admin = Deno.env.get("DNSA_TEST_DATABASE_URL") ??
    "postgres://postgres:postgres@127.0.0.1/postgres";
  const name = `dnsa_tail_${Deno.pid}`;
  const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
  await adminSql.unsafe(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const dir = await Deno.makeTempDir({ prefix: "dnsa-tail-" });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && k !== "DATABASE_URL") env[k] = v;
  }
  Object.assign(env, {
    DATABASE_URL: url.toString(),
    DNSA_LOG_TZ: "UTC",
    DNSA_NODE: "bench",
    DNSA_HTTP: "127.0.0.1:0",
    DNSA_QUERY_LOG: join(dir, "queries.log"),
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
  });
  const serve = new Deno.Command(Deno.execPath(), {
    // As `deno task start` runs it, but as a direct child so /proc shows serve itself.
    args: ["run", "-A", "--v8-flags=--max-old-space-size=256", MAIN, "serve"],
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await new Promise((r) => setTimeout(r, 1500)); // start-up and migrations
    const q = new RotatingLog(join(dir, "queries.log"), { versions: 20, size: 32 << 20 });
    const g = new TrafficGenerator(3);
    const writes: Array<[number, number]> = []; // (time, cumulative lines)
    const commits: Array<[number, number]> = []; // (time, rows)
    const samples: Array<{ cpuS: number; rssMb: number }> = [];
    let written = 0, polling = true;
    const poller = (async () => {
      while (polling) {
        const [{ n }] = await sql`select count(*)::int as n from dns_queries`;
        commits.push([performance.now(), n]);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const ticker = setInterval(() => {
      for (const p of [serve.pid]) {
        const s = procStats(p);
        if (s) samples.push(s);
      }
    }, 1000);
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) - written;
      if (due > 0) {
        const lines = Array.from({ length: due }, () => g.next(Date.now()).query);
        await q.write(lines);
        written += due;
        writes.push([performance.now(), written]);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    q.close();
    const until = performance.now() + 30_000;
    while (performance.now() < until && (commits.at(-1)?.[1] ?? 0) < written) {
      await new Promise((r) => setTimeout(r, 100));
    }
    polling = false;
    await poller;
    clearInterval(ticker);
    // Delay of each write batch: first poll that saw its last line committed.
    const delays: number[] = [];
    let c = 0;
    for (const [t, total] of writes) {
      while (c < commits.length && (commits[c][1] < total || commits[c][0] < t)) c++;
      if (c >= commits.length) break;
      delays.push(commits[c][0] - t);
    }
    delays.sort((a, b) => a - b);
    const stored = commits.at(-1)?.[1] ?? 0;
    const cpu = samples.length > 1 ? samples.at(-1)!.cpuS - samples[0].cpuS : 0;
    const span = Math.max(1, samples.length - 1);
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log([
      `live-tail benchmark: ${written} lines at ${rate} lines/s for ${seconds} s (serve)`,
      `  stored        ${stored} rows (${stored === written ? "all" : "NOT all"})`,
      `  write→commit  p50 ${fmt(quantile(delays, 0.5))}, p90 ${fmt(quantile(delays, 0.9))}, ` +
      `p99 ${fmt(quantile(delays, 0.99))}, max ${fmt(delays.at(-1) ?? 0)} ` +
      `(target p99 < 2 s; polled every 50 ms)`,
      `  serve CPU     ${(100 * cpu / span).toFixed(0)}% of one vCPU on average`,
      `  serve RSS     first ${samples[0]?.rssMb.toFixed(0)} MB, max ${
        Math.max(...samples.map((s) => s.rssMb)).toFixed(0)
      } MB, last ${samples.at(-1)?.rssMb.toFixed(0)} MB (flat is the target)`,
    ].join("\n"));
    return stored === written ? 0 : 1;
  } finally {
    serve.kill("SIGTERM");
    await serve.status;
    await sql.end();
    await adminSql.unsafe(`drop database if exists ${name} with (force)`);
    await adminSql.end();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
