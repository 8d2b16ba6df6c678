/**
 * The `demo` job: simulated live BIND 9.18 traffic written to a temporary log directory
 * (query log and query-errors log, rotated by size like named), followed and ingested live
 * on the embedded database, with a refreshing summary, and the dashboard, API and metrics
 * served on DNSA_HTTP (a free port when that one is taken). Stops cleanly on its signal.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../lib/config.ts";
import { type JobContext, nodeIdOf, openContext } from "../lib/context.ts";
import { RotatingLog, TrafficGenerator } from "../lib/demo/traffic.ts";
import { addReasons } from "../lib/ingest/counts.ts";
import type { WriterContext } from "../lib/ingest/commit.ts";
import { ingestLogFiles } from "../lib/ingest/query_log.ts";
import { listRotatedSet } from "../lib/tail/file_set.ts";
import type { Logger } from "../lib/log.ts";
import { runReport } from "../lib/report.ts";
import { rollupStatistics } from "../lib/rollup/rollup.ts";
import { sleep } from "../lib/sleep.ts";
import { createZoneClock } from "../lib/time.ts";
import { MetricsRecorder } from "../lib/metrics.ts";
import { DASHBOARD_ASSETS } from "../lib/http/dashboard/assets.ts";
import { type HttpServer, startHttpServer } from "../lib/http/server.ts";

/** Options of {@linkcode demo}. */
export interface DemoOptions {
  /** Queries per second to simulate. Default 300. */
  rate?: number;
  /** Stop after this many seconds (default: run until the signal). */
  seconds?: number;
  /** How often the logs are polled, ms. Default 500. */
  pollMs?: number;
  /** Keep the temporary directory (logs and database) at the end. */
  keep?: boolean;
  /** Redraw the summary in place (a terminal) instead of one line per refresh. */
  redraw?: boolean;
  /** Serve the dashboard on DNSA_HTTP (default true). */
  http?: boolean;
  signal: AbortSignal;
  out: (text: string) => void;
}

/** What the demo did. */
export interface DemoResult {
  dir: string;
  written: number;
  stored: number;
  errorLines: number;
  seconds: number;
}

/** Run the demo on a fresh embedded database in a temporary directory. */
export async function demo(
  config: Readonly<Config>,
  log: Logger,
  options: DemoOptions,
): Promise<DemoResult> {
  const dir = await Deno.makeTempDir({ prefix: "dns-analytics-demo-" });
  const logDir = join(dir, "log");
  await Deno.mkdir(logDir);
  const demoConfig: Config = {
    ...config,
    database: { kind: "embedded", dataDir: join(dir, "data") },
    dataDir: join(dir, "data"),
    node: "demo",
    queryLog: join(logDir, "queries.log"),
    errorLog: join(logDir, "query-errors.log"),
  };
  options.out(`dns-analytics demo: simulated BIND 9.18 traffic in ${logDir}`);
  options.out("starting the embedded database (the first start takes a few seconds) ...");
  const ctx = await openContext(demoConfig, log, { applicationName: "dns-analytics demo" });
  const metrics = new MetricsRecorder({ source: "querylog" });
  const stopHttp = new AbortController();
  let http: HttpServer | null = null;
  if (options.http !== false) {
    try {
      http = await serveDashboard(ctx, metrics, stopHttp.signal, config.http);
    } catch (error) {
      await ctx.close();
      throw error;
    }
    options.out(
      `dashboard: ${http.url}` + (config.httpToken ? " (sign in with DNSA_HTTP_TOKEN)" : ""),
    );
  }
  const started = performance.now();
  const result: DemoResult = { dir, written: 0, stored: 0, errorLines: 0, seconds: 0 };
  const queries = new RotatingLog(demoConfig.queryLog, { versions: 5, size: 512 * 1024 });
  const errors = new RotatingLog(demoConfig.errorLog, { versions: 3, size: 64 * 1024 });
  try {
    const nodeId = await nodeIdOf(ctx.sql, "demo");
    const writer = {
      sql: ctx.sql,
      nodeId,
      tz: config.logTz,
      knownDays: new Set<number>(),
      copy: ctx.copy,
      onCommit: ({ seconds }: { seconds: number }) => metrics.observeCommit(seconds),
    };
    const traffic = new TrafficGenerator(Date.now() % 100_000);
    const clock = createZoneClock(config.logTz);
    const rate = options.rate ?? 300;
    const deadline = options.seconds === undefined ? Infinity : started + options.seconds * 1000;
    let lastDraw = 0, lastTick = Date.now(), carry = 0;
    while (!options.signal.aborted && performance.now() < deadline) {
      // Write the traffic of the time that passed since the last tick.
      const now = Date.now();
      carry += ((now - lastTick) / 1000) * rate;
      lastTick = now;
      const n = Math.floor(carry);
      carry -= n;
      const q: string[] = [], e: string[] = [];
      for (let i = 0; i < n; i++) {
        const s = traffic.next(clock.toWall(now - (n - i) * (1000 / rate)));
        q.push(s.query);
        if (s.error) e.push(s.error);
      }
      await queries.write(q);
      await errors.write(e);
      result.written += n;

      await follow(writer, demoConfig, result, log, metrics);
      if (performance.now() - lastDraw >= 2000) {
        lastDraw = performance.now();
        await drawSummary(ctx, result, started, options);
      }
      await sleep(options.pollMs ?? 500, options.signal);
    }
    // Stopping: everything written is read and committed before the summary.
    queries.close();
    errors.close();
    await follow(writer, demoConfig, result, log, metrics);
    await drawSummary(ctx, result, started, { ...options, redraw: false });
    options.out(
      `stopped: ${result.stored} of ${result.written} simulated queries stored, ` +
        `${result.errorLines} query-errors lines joined or kept`,
    );
  } finally {
    queries.close();
    errors.close();
    stopHttp.abort();
    await http?.finished;
    await ctx.close();
    result.seconds = Math.round(performance.now() - started) / 1000;
    if (!options.keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
    else options.out(`kept ${dir} (logs in log/, embedded database in data/)`);
  }
  return result;
}

/** One pass over both rotated sets: each file continues from its checkpoint. */
async function follow(
  writer: WriterContext,
  config: Config,
  result: DemoResult,
  log: Logger,
  metrics: MetricsRecorder,
): Promise<void> {
  const files = [
    ...await listRotatedSet(config.queryLog),
    ...await listRotatedSet(config.errorLog),
  ];
  // A file renamed between the listing and the read is found under its new name next time.
  const summary = await ingestLogFiles(writer, files, { log, vanishedOk: true });
  result.stored += summary.rows;
  result.errorLines += summary.errorLines;
  const i = metrics.ingest;
  i.lines += summary.lines;
  i.rows += summary.rows;
  i.rejected += summary.rejected;
  i.skipped += summary.skipped;
  i.batches += summary.batches;
  addReasons(i.reasons, summary.reasons);
  if (summary.rows > 0) i.lastCommitAt = Date.now();
}

/** The dashboard on `listen`; on a free port of the same host when that one is taken. */
async function serveDashboard(
  ctx: JobContext,
  metrics: MetricsRecorder,
  signal: AbortSignal,
  listen: { host: string; port: number },
): Promise<HttpServer> {
  const deps = {
    sql: ctx.sql,
    config: ctx.config,
    metrics,
    log: ctx.log,
    assets: DASHBOARD_ASSETS,
  };
  try {
    return await startHttpServer(deps, { hostname: listen.host, port: listen.port, signal });
  } catch (error) {
    if (!(error instanceof Error && error.cause instanceof Deno.errors.AddrInUse)) throw error;
    ctx.log.warn("demo: DNSA_HTTP is in use, serving on a free port", { port: listen.port });
    return await startHttpServer(deps, { hostname: listen.host, port: 0, signal });
  }
}

async function drawSummary(
  ctx: JobContext,
  result: DemoResult,
  started: number,
  options: Pick<DemoOptions, "redraw" | "out">,
): Promise<void> {
  const secs = (performance.now() - started) / 1000;
  // The demo's rollup runs with every redraw, so the top list follows the traffic closely.
  await rollupStatistics(ctx.sql, { tz: ctx.config.logTz, copy: ctx.copy });
  const top = await runReport(ctx.sql, "top-domains", { tz: ctx.config.logTz, limit: 5 });
  const lines = [
    `${new Date().toISOString().slice(11, 19)}  queries written ${result.written}, stored ` +
    `${result.stored} (${Math.round(result.stored / Math.max(secs, 0.001))}/s), ` +
    `query-errors lines ${result.errorLines}`,
    ...top.rows.map((r, i) =>
      `  ${i + 1}. ${String(r.domain).padEnd(28)} ${String(r.hit_count).padStart(7)} queries, ` +
      `${r.unique_clients} clients`
    ),
  ];
  if (options.redraw) options.out(`\x1b[H\x1b[2J${lines.join("\n")}\n(Ctrl-C to stop)`);
  else options.out(lines.join("\n"));
}
