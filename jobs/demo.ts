/**
 * The `demo` job: `serve` itself, on a demo configuration (lib/demo/config.ts): a fresh
 * embedded database in a temporary directory, and simulated live BIND 9.18 traffic
 * (lib/demo/simulation.ts) written into log files there that rotate like named's. serve's
 * tailer follows them, its scheduler runs the Deno.cron jobs (recorded in job_runs), and its
 * HTTP server serves the dashboard, API and metrics on DNSA_HTTP (a free port when that one is
 * taken). Beside it, a console view of the counts and the top domains. Stops cleanly on its
 * signal: the traffic stops, serve reads and commits what was written, then stops.
 *
 * @module
 */
import { join } from "node:path";
import { type CommandRecord, intOption, withStopSignal } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { type JobContext, openContext } from "../lib/context.ts";
import { demoConfiguration } from "../lib/demo/config.ts";
import { type DemoCounts, drawDemoView } from "../lib/demo/console_view.ts";
import { TrafficSimulation } from "../lib/demo/simulation.ts";
import type { Logger } from "../lib/log.ts";
import { MetricsRecorder } from "../lib/metrics.ts";
import { sleep } from "../lib/sleep.ts";
import { serve } from "./serve.ts";

/** Options of {@linkcode demo}. */
export interface DemoOptions {
  /** Queries per second to simulate. Default 300. */
  rate?: number;
  /** Stop after this many seconds (default: run until the signal). */
  seconds?: number;
  /** How often the traffic is written and the logs are polled, ms. Default 500. */
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
export interface DemoResult extends DemoCounts {
  dir: string;
  seconds: number;
}

/** How long the stop waits for serve to read what was written, ms. */
const CATCH_UP_MS = 60_000;

/** Run serve with simulated traffic on a fresh embedded database in a temporary directory. */
export async function demo(
  config: Readonly<Config>,
  log: Logger,
  options: DemoOptions,
): Promise<DemoResult> {
  const dir = await Deno.makeTempDir({ prefix: "dns-analytics-demo-" });
  const demoConfig = demoConfiguration(config, dir, { pollMs: options.pollMs ?? 500 });
  await Deno.mkdir(join(dir, "log"));
  options.out(`dns-analytics demo: simulated BIND 9.18 traffic in ${join(dir, "log")}`);
  options.out("starting the embedded database (the first start takes a few seconds) ...");
  const started = performance.now();
  const result: DemoResult = { dir, written: 0, stored: 0, errorLines: 0, seconds: 0 };
  const traffic = new TrafficSimulation(demoConfig, { rate: options.rate ?? 300 });
  let ctx: JobContext | null = null;
  try {
    ctx = await openContext(demoConfig, log, { applicationName: "dns-analytics demo" });
    const metrics = new MetricsRecorder({ source: "querylog" });
    const count = () => {
      result.written = traffic.written;
      result.stored = metrics.ingest.rows;
      result.errorLines = metrics.ingest.errorLines;
    };
    const stopServe = new AbortController();
    const listening = Promise.withResolvers<void>();
    let running = true;
    const serving = serve(ctx, {
      signal: stopServe.signal,
      metrics,
      http: options.http,
      freePortWhenTaken: true,
      onListen: (url) => {
        options.out(
          `dashboard: ${url}` + (config.httpToken ? " (sign in with DNSA_HTTP_TOKEN)" : ""),
        );
        listening.resolve();
      },
    }).finally(() => (running = false));
    try {
      if (options.http !== false) await Promise.race([listening.promise, serving]);
      const deadline = options.seconds === undefined
        ? Infinity
        : performance.now() + options.seconds * 1000;
      let lastDraw = 0;
      while (running && !options.signal.aborted && performance.now() < deadline) {
        await traffic.tick();
        if (performance.now() - lastDraw >= 2000) {
          lastDraw = performance.now();
          count();
          await drawDemoView(ctx, result, { ...options, started });
        }
        await sleep(options.pollMs ?? 500, options.signal);
      }
      // Stopping: serve reads and commits everything written before it stops.
      traffic.close();
      const until = performance.now() + CATCH_UP_MS;
      while (running && metrics.ingest.rows < traffic.written && performance.now() < until) {
        await sleep(100);
      }
    } finally {
      stopServe.abort();
      await serving.catch(() => {});
    }
    await serving;
    count();
    await drawDemoView(ctx, result, { ...options, started, redraw: false });
    options.out(
      `stopped: ${result.stored} of ${result.written} simulated queries stored, ` +
        `${result.errorLines} query-errors lines joined or kept`,
    );
  } finally {
    traffic.close();
    await ctx?.close();
    result.seconds = Math.round(performance.now() - started) / 1000;
    if (!options.keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
    else options.out(`kept ${dir} (logs in log/, embedded database in data/)`);
  }
  return result;
}

/** `dns-analytics demo`: runs on its own embedded database, so main opens nothing for it. */
export const demoCommand: CommandRecord = {
  name: "demo",
  summary: "simulated live BIND traffic ingested on the embedded database",
  usage: "dns-analytics demo [--rate N] [--seconds N] [--keep]",
  options: {
    rate: { type: "string" },
    seconds: { type: "string" },
    keep: { type: "boolean" },
  },
  help: `Writes realistic BIND 9.18 query-log and query-errors lines (the exact shapes
named writes: Zipf-popular names over real public suffixes, IPv4 and IPv6
clients, UDP and TCP, EDNS/DO/cookie flags, SERVFAIL and REFUSED answers with
their 'query failed' lines, NXDOMAIN-bound random names) into a temporary log
directory that rotates like named's 'versions 5 size 512k', follows those files
live into a fresh embedded database, and shows queries, rate and top domains
every two seconds. The dashboard, JSON API and /metrics are served on DNSA_HTTP
(default 127.0.0.1:8053, a free port when that one is taken); the URL is
printed at start. Ctrl-C (or --seconds) stops it: the last lines are read and
committed, the totals printed, and the temporary directory removed.

It is 'serve' on that directory: the same follower, the scheduled jobs (rollup
and retention once at start, then on DNSA_ROLLUP_SCHEDULE and
DNSA_RETENTION_SCHEDULE; recorded in job_runs) and the same HTTP server.

Needs no PostgreSQL and no configuration.

Options:
  --rate N      simulated queries per second (default 300)
  --seconds N   stop after N seconds (default: run until Ctrl-C)
  --keep        keep the temporary directory (logs and database)

Example:
  deno task demo`,
  database: "none",
  run: ({ loadConfig, log }, { values, out }) => {
    const rate = intOption(values, "rate", { min: 1, max: 100_000 });
    const seconds = intOption(values, "seconds", { min: 1, max: 86_400 });
    const config = loadConfig();
    return withStopSignal(async (signal) => {
      await demo(config, log, {
        rate,
        seconds,
        keep: values.keep === true,
        redraw: Deno.stdout.isTerminal(),
        signal,
        out,
      });
      return 0;
    });
  },
};
