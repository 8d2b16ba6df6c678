/**
 * Live-tail benchmark: `serve` follows a query log that a writer appends to at a fixed rate
 * (with BIND's rename rotation, `versions 20 size 32m`); for each rate of a sweep it prints the
 * delay from a line written to its row committed (p50, p99, max over every line), serve's CPU
 * and RSS, PostgreSQL's CPU for serve's sessions, and the lines lost; then it searches for the
 * largest rate sustained with nothing lost. Asserts nothing about time.
 *
 * ```sh
 * deno task bench:tail                                        # 1k, 20k, 50k/s, 30 s each; search
 * deno task bench:tail --rates 1000,20000,50000 --seconds 60
 * deno task bench:tail --rate 20000 --no-search               # one rate
 * deno task bench:tail --rate 50000 --no-search --trace /tmp/t # + /tmp/t.50000.csv
 * ```
 *
 * Each run (one rate) gets a fresh database and a fresh `serve` (as `deno task start` runs it,
 * as a direct child so /proc shows serve itself). A writer thread (tail_bench_writer.ts) writes
 * one line and waits until serve has committed it (serve is up and following), then writes at
 * the rate for `--seconds`: every 5 ms what is due, at most 10 ms of lines per write (a writer
 * that fell behind catches up in small writes), each line stamped with its write time,
 * recording for every line the byte offset after it and the instant its write returned.
 *
 * How the delay is measured, per line: a row and its file's checkpoint commit in one
 * transaction, so a line is committed exactly when its file's checkpoint (found by the file's
 * fingerprint, the hash of its first line, which the writer knows) first reaches the offset
 * after the line. The main thread polls `ingest_checkpoints` (a few rows) every `--poll-ms`
 * (default 5 ms); a line's commit time is the midpoint between the last poll that did not see
 * it and the first that did (tail_bench_measure.ts), so each delay is off by at most half
 * the gap between polls (printed; a few ms against delays of 10–1000 ms). Counting rows by
 * polling `count(*)` instead would cost PostgreSQL a scan per poll and round every delay up
 * to the poll interval.
 *
 * Lost: after writing, the benchmark waits (at most 60 s, or 15 s without progress) until
 * every file's checkpoint is at its end, then counts the rows of `dns_queries` against the
 * lines written: `lost` is their difference (negative would be lines stored twice).
 *
 * Sustained (a rate with nothing lost that serve keeps up with): every line written is stored,
 * and when the writer stopped, the lines written but not yet committed were less than one
 * second of input. A follower slower than its input falls further behind every second, so over
 * a run of S seconds its backlog grows to S × (rate − capacity); at 20 s a shortfall of 5 %
 * shows. The search starts above the largest sustained rate of the sweep, goes up by half until
 * a rate is not sustained, then bisects until the two are within 10 %; each step runs
 * `--search-seconds` (default 20). A writer that cannot keep its schedule (it wrote less than
 * 98 % of the rate: the cores are shared with serve and PostgreSQL) makes the run
 * `writer-bound` and ends the search: the figure is then a lower bound.
 *
 * `--trace FILE` writes, per rate of the sweep, `FILE.RATE.csv`: each write (time, lines,
 * file, delay of its last line) and each checkpoint advance seen (time, file, offset), to see
 * where delays come from (the commit cadence, rotations, a slow commit).
 *
 * Needs PostgreSQL: DNSA_TEST_DATABASE_URL (admin URL; default postgres://postgres:postgres@127.0.0.1/postgres).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import postgres from "postgres";
import { fingerprintBytes } from "../lib/tail/fingerprint.ts";
import { watchProcess } from "./bench_process.ts";
import {
  CheckpointLog,
  judgeTrial,
  lineDelays,
  nextRate,
  quantile,
  type Verdict,
} from "./tail_bench_measure.ts";
import { epochMs, type FromWriter, type ToWriter, type WriterResult } from "./tail_bench_writer.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const WRITER = new URL("./tail_bench_writer.ts", import.meta.url).href;
const DRAIN_MS = 60_000;
const STALL_MS = 15_000;

/** What one run at one rate measured. */
interface Trial {
  rate: number;
  seconds: number;
  written: number;
  /** Lines per second the writer managed (see judgeTrial). */
  offered: number;
  stored: number;
  lost: number;
  drained: boolean;
  backlog: number;
  p50: number;
  p99: number;
  max: number;
  /** Serve's and its PostgreSQL sessions' CPU, % of one vCPU, from the first write to drained. */
  serveCpu: number;
  pgCpu: number;
  rssFirst: number;
  rssMax: number;
  rssLast: number;
  pollGap: { mean: number; max: number };
  verdict: Verdict;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function procStats(pid: number): { cpuS: number; rssMb: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuS: (Number(f[11]) + Number(f[12])) / 100, rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}

function serveEnv(databaseUrl: string, dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("DNSA_") && !k.startsWith("DB_") && k !== "DATABASE_URL") env[k] = v;
  }
  return Object.assign(env, {
    DATABASE_URL: databaseUrl,
    DNSA_LOG_TZ: "UTC",
    DNSA_NODE: "bench",
    DNSA_HTTP: "127.0.0.1:0",
    DNSA_QUERY_LOG: join(dir, "queries.log"),
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
  });
}

async function writerCall(worker: Worker, msg: ToWriter): Promise<FromWriter> {
  const reply = new Promise<FromWriter>((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data as FromWriter);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`writer: ${e.message}`));
    };
  });
  worker.postMessage(msg);
  const r = await reply;
  if (r.type === "error") throw new Error(`writer: ${r.message}`);
  return r;
}

async function fingerprintOf(firstLine: string): Promise<string> {
  return (await fingerprintBytes(new TextEncoder().encode(firstLine + "\n")))!;
}

/** Wait (bounded) until `ok()`, checking every 20 ms; false on timeout. */
async function waitFor(ok: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > until) return false;
    await sleep(20);
  }
  return true;
}

/** One run: a fresh database and serve, the writer at `rate` for `seconds`. */
async function runTrial(
  admin: string,
  options: { rate: number; seconds: number; pollMs: number; index: number; trace?: string },
): Promise<Trial> {
  const name = `dnsa_tail_${Deno.pid}_${options.index}`;
  const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
  await adminSql.unsafe(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const dir = await Deno.makeTempDir({ prefix: "dnsa-tail-" });
  const serveLog = await Deno.open(join(dir, "serve.log"), { write: true, create: true });
  const serve = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--max-old-space-size=256", MAIN, "serve"],
    env: serveEnv(url.toString(), dir),
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const serveStderr = serve.stderr.pipeTo(serveLog.writable).catch(() => {});
  const worker = new Worker(WRITER, { type: "module" });
  const log = new CheckpointLog();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const sent = epochMs();
      try {
        const rows = await sql<{ fingerprint: string; o: number }[]>`
          select fingerprint, byte_offset::float8 as o from ingest_checkpoints`;
        log.record(sent, epochMs(), rows.map((r) => [r.fingerprint, r.o]));
        await sleep(options.pollMs);
      } catch {
        await sleep(100); // serve has not created the table yet
      }
    }
  })();
  try {
    const warm = await writerCall(worker, {
      type: "warm",
      options: {
        path: join(dir, "queries.log"),
        rate: options.rate,
        seconds: options.seconds,
        seed: 3 + options.index,
        versions: 20,
        size: 32 << 20,
      },
    });
    if (warm.type !== "warm") throw new Error(`writer answered ${warm.type} to warm`);
    const fp0 = await fingerprintOf(warm.firstLine);
    if (!await waitFor(() => log.offset(fp0) > 0, 120_000)) {
      throw new Error(`serve did not commit the first line in 120 s (see ${dir}/serve.log)`);
    }
    const before = procStats(serve.pid);
    const pg = watchProcess(serve.pid, { dbName: name, intervalMs: 500 });
    const rss: number[] = [];
    const sampler = setInterval(() => {
      const s = procStats(serve.pid);
      if (s) rss.push(s.rssMb);
    }, 500);
    const goAt = epochMs();
    const done = await writerCall(worker, { type: "go" });
    if (done.type !== "done") throw new Error(`writer answered ${done.type} to go`);
    const result = done.result;
    const fingerprints = await Promise.all(result.files.map((f) => fingerprintOf(f.firstLine)));
    // Drain: every file's checkpoint at its end (bounded; and stop when nothing moves).
    let lastMove = performance.now(), lastSum = -1;
    const drainUntil = performance.now() + DRAIN_MS;
    let drained = false;
    while (performance.now() < drainUntil && performance.now() - lastMove < STALL_MS) {
      drained = result.files.every((f, i) => log.offset(fingerprints[i]) >= f.size);
      if (drained) break;
      const sum = fingerprints.reduce((s, fp) => s + log.offset(fp), 0);
      if (sum !== lastSum) [lastSum, lastMove] = [sum, performance.now()];
      await sleep(50);
    }
    const drainedAt = epochMs();
    clearInterval(sampler);
    const after = procStats(serve.pid);
    const usage = pg.stop();
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::float8 as n from dns_queries`;
    const measured = lineDelays(result.chunks, {
      fingerprints,
      log,
      backlogAt: result.endedAt,
    });
    if (options.trace) await writeTrace(options.trace, result, { fingerprints, log, goAt });
    const span = (drainedAt - goAt) / 1000;
    const stored = Number(n);
    const trial: Trial = {
      rate: options.rate,
      seconds: options.seconds,
      written: result.lines,
      offered: (result.lines - 1) / Math.max(0.001, (result.endedAt - result.startedAt) / 1000),
      stored,
      lost: result.lines - stored,
      drained,
      backlog: measured.backlog,
      p50: quantile(measured.delays, 0.5),
      p99: quantile(measured.delays, 0.99),
      max: measured.delays.at(-1) ?? NaN,
      serveCpu: before && after ? (100 * (after.cpuS - before.cpuS)) / span : NaN,
      pgCpu: (100 * usage.postgres.backend) / span,
      rssFirst: rss[0] ?? NaN,
      rssMax: Math.max(...rss),
      rssLast: rss.at(-1) ?? NaN,
      pollGap: log.gaps,
      verdict: "sustained",
    };
    trial.verdict = judgeTrial({
      rate: options.rate,
      due: Math.round(options.rate * options.seconds) + 1,
      offered: trial.offered,
      written: trial.written,
      stored,
      drained,
      backlog: trial.backlog,
    });
    return trial;
  } finally {
    polling = false;
    await poller;
    worker.terminate();
    serve.kill("SIGTERM");
    await serve.status;
    await serveStderr;
    await sql.end();
    await adminSql.unsafe(`drop database if exists ${name} with (force)`);
    await adminSql.end();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * `--trace`: one CSV line per write (seconds since the first, its lines, its file, and the
 * write→commit delay of its last line, ms), and one per checkpoint advance, to see where
 * delays come from (rotations, passes, commits).
 */
async function writeTrace(
  path: string,
  result: WriterResult,
  options: { fingerprints: string[]; log: CheckpointLog; goAt: number },
): Promise<void> {
  const out = ["kind,t_s,lines,file,offset,delay_ms"];
  for (const c of result.chunks) {
    const d = lineDelays([{ ...c, ends: c.ends.subarray(c.ends.length - 1) }], {
      fingerprints: options.fingerprints,
      log: options.log,
      backlogAt: 0,
    });
    const t = ((c.at - options.goAt) / 1000).toFixed(3);
    out.push(`write,${t},${c.ends.length},${c.file},${c.ends.at(-1)},${d.delays[0]?.toFixed(1)}`);
  }
  options.fingerprints.forEach((fp, file) => {
    for (const a of options.log.advances.get(fp) ?? []) {
      const t = ((a.by - options.goAt) / 1000).toFixed(3);
      out.push(`commit,${t},,${file},${a.offset},${(a.by - a.after).toFixed(1)}`);
    }
  });
  await Deno.writeTextFile(path, out.join("\n") + "\n");
}

const s = (ms: number) => Number.isFinite(ms) ? `${(ms / 1000).toFixed(3)} s` : "-";

function row(t: Trial): string {
  const cells = [
    String(t.rate).padStart(7),
    String(t.written).padStart(9),
    s(t.p50).padStart(8),
    s(t.p99).padStart(8),
    s(t.max).padStart(8),
    `${t.serveCpu.toFixed(0)}%`.padStart(6),
    `${t.pgCpu.toFixed(0)}%`.padStart(6),
    `${t.rssMax.toFixed(0)} MB`.padStart(7),
    String(t.lost).padStart(6),
    String(t.backlog).padStart(8),
    `  ${t.verdict}${t.drained ? "" : " (not drained)"}` +
    (t.verdict === "writer-bound" ? ` (wrote ${t.offered.toFixed(0)} lines/s)` : ""),
  ];
  return cells.join(" ");
}

const HEADER = `${"lines/s".padStart(7)} ${"written".padStart(9)} ${"p50".padStart(8)} ` +
  `${"p99".padStart(8)} ${"max".padStart(8)} ${"serve".padStart(6)} ${"pg".padStart(6)} ` +
  `${"RSS max".padStart(7)} ${"lost".padStart(6)} ${"backlog".padStart(8)}   verdict`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rates: { type: "string", default: "1000,20000,50000" },
      rate: { type: "string" },
      seconds: { type: "string", default: "30" },
      "search-seconds": { type: "string", default: "20" },
      "search-trials": { type: "string", default: "8" },
      "no-search": { type: "boolean", default: false },
      "poll-ms": { type: "string", default: "5" },
      trace: { type: "string" },
    },
  });
  const rates = (values.rate ?? values.rates).split(",").map(Number);
  const seconds = Number(values.seconds), pollMs = Number(values["poll-ms"]);
  if (rates.some((r) => !(r > 0)) || !(seconds > 0)) {
    console.error("usage: tail_bench.ts [--rates 1000,20000,50000] [--seconds 30] [--no-search]");
    return 2;
  }
  const admin = Deno.env.get("DNSA_TEST_DATABASE_URL") ??
    "postgres://postgres:postgres@127.0.0.1/postgres";
  console.log(
    `live-tail benchmark: serve following a rotating query log; write→commit delay of every ` +
      `line (checkpoints polled every ${pollMs} ms); CPU in % of one vCPU (serve; pg = its ` +
      `PostgreSQL sessions); backlog = lines not committed when writing stopped`,
  );
  console.log(HEADER);
  const trials: Trial[] = [];
  let index = 0;
  let failedSweep = false;
  for (const rate of rates) {
    const t = await runTrial(admin, {
      rate,
      seconds,
      pollMs,
      index: index++,
      trace: values.trace ? `${values.trace}.${rate}.csv` : undefined,
    });
    trials.push(t);
    console.log(row(t));
    if (t.lost !== 0) failedSweep = true;
  }
  const gaps = trials.map((t) => t.pollGap);
  console.log(
    `  ${seconds} s per rate; poll gap mean ${
      Math.max(...gaps.map((g) => g.mean)).toFixed(1)
    } ms, max ${Math.max(...gaps.map((g) => g.max)).toFixed(0)} ms; serve RSS first→last ` +
      trials.map((t) => `${t.rssFirst.toFixed(0)}→${t.rssLast.toFixed(0)} MB`).join(", "),
  );
  if (!values["no-search"]) {
    const searchSeconds = Number(values["search-seconds"]);
    const sustained = trials.filter((t) => t.verdict === "sustained").map((t) => t.rate);
    const failed = trials.filter((t) => t.verdict === "behind" || t.verdict === "lost")
      .map((t) => t.rate);
    let writerBound: number | null = null;
    console.log(`search for the largest sustained rate (${searchSeconds} s per step):`);
    for (let i = 0; i < Number(values["search-trials"]); i++) {
      const rate = nextRate(sustained, failed, { start: Math.max(...rates) });
      if (rate === null) break;
      const t = await runTrial(admin, { rate, seconds: searchSeconds, pollMs, index: index++ });
      console.log(row(t));
      if (t.verdict === "writer-bound") {
        writerBound = t.offered;
        break;
      }
      (t.verdict === "sustained" ? sustained : failed).push(rate);
    }
    const lo = sustained.length ? Math.max(...sustained) : null;
    const hi = failed.filter((r) => lo === null || r > lo);
    console.log(
      writerBound !== null
        ? `max sustained rate: ≥ ${lo ?? 0} lines/s (the writer could not offer more than ` +
          `${writerBound.toFixed(0)} lines/s on this machine)`
        : `max sustained rate: ${lo ?? "none"} lines/s` +
          (hi.length ? ` (${Math.min(...hi)} lines/s was not sustained)` : " (search cut short)"),
    );
  }
  return failedSweep ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
