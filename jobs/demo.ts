/**
 * The `demo` job: `serve` itself, on a demo configuration (lib/demo/config.ts): a fresh
 * embedded database in a temporary directory, and simulated live traffic of a well-configured
 * BIND 9.18 (lib/demo/simulation.ts): `--source querylog` (default) writes query-log and
 * query-errors files that rotate like named's, `--source dnstap` writes dnstap frames (a file,
 * or serve's socket with `--dnstap-output unix`). Either way a simulated statistics channel
 * (lib/demo/stats_channel.ts) serves named's counters of that traffic on loopback, and serve
 * reads it through DNSA_NAMED_STATS every 5 s, as it reads a real named's every minute. serve's
 * source follows the traffic, its scheduler runs the Deno.cron jobs (recorded in job_runs), and
 * its HTTP server serves the dashboard, API and metrics on DNSA_HTTP (a free port when that one
 * is taken). Beside it, a console view of the counts and the top domains. Stops cleanly on its
 * signal: the traffic stops, serve reads and commits what was written, then stops.
 *
 * @module
 */
import { join } from "node:path";
import { type CommandRecord, intOption, UsageError, withStopSignal } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { type JobContext, openContext } from "../lib/context.ts";
import { demoConfiguration } from "../lib/demo/config.ts";
import { type DemoCounts, drawDemoView } from "../lib/demo/console_view.ts";
import {
  connectDnstapSocket,
  type DnstapOutput,
  openDnstapFile,
} from "../lib/demo/dnstap_output.ts";
import { NamedCounters } from "../lib/demo/named_counters.ts";
import { TrafficSimulation } from "../lib/demo/simulation.ts";
import { startStatsChannel } from "../lib/demo/stats_channel.ts";
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
  /** What serve reads: the query logs (default) or dnstap. */
  source?: "querylog" | "dnstap";
  /** dnstap into a file serve follows (default) or into serve's unix socket. */
  dnstapOutput?: "file" | "unix";
  /** Between readings of the simulated statistics channel, ms. Default 5000. */
  namedStatsIntervalMs?: number;
  /** Called once the dashboard listens, with its URL. */
  onListen?: (url: string) => void;
  signal: AbortSignal;
  out: (text: string) => void;
}

/** What the demo did. */
export interface DemoResult extends DemoCounts {
  dir: string;
  seconds: number;
  /** named's counters of what was simulated (what its statistics channel served). */
  named: NamedCounters;
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
  const source = options.source ?? "querylog";
  const counters = new NamedCounters({ dnstap: source === "dnstap" });
  const channel = startStatsChannel(counters);
  const demoConfig = demoConfiguration(config, dir, {
    pollMs: options.pollMs ?? 500,
    source,
    dnstapOutput: options.dnstapOutput,
    namedStats: channel.url,
  });
  await Deno.mkdir(join(dir, "log"));
  options.out(
    `dns-analytics demo: simulated BIND 9.18 traffic (${
      source === "dnstap" ? `dnstap ${demoConfig.dnstapKind}` : "query log"
    } and statistics channel ${channel.url}) in ${join(dir, "log")}`,
  );
  options.out("starting the embedded database (the first start takes a few seconds) ...");
  const started = performance.now();
  const result: DemoResult = {
    dir,
    written: 0,
    stored: 0,
    errorLines: 0,
    seconds: 0,
    named: counters,
  };
  let traffic: TrafficSimulation | null = null;
  let ctx: JobContext | null = null;
  try {
    // named opens its dnstap file before it answers; a socket is serve's, connected below.
    let output: DnstapOutput | undefined = source === "dnstap" && demoConfig.dnstapKind === "file"
      ? await openDnstapFile(demoConfig.dnstap!)
      : undefined;
    const simulate = (dnstap?: DnstapOutput) =>
      new TrafficSimulation(demoConfig, { rate: options.rate ?? 300, counters, dnstap });
    if (source !== "dnstap" || output) traffic = simulate(output);
    ctx = await openContext(demoConfig, log, { applicationName: "dns-analytics demo" });
    const metrics = new MetricsRecorder({ source });
    const count = () => {
      result.written = traffic?.written ?? 0;
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
      namedStatsIntervalMs: options.namedStatsIntervalMs ?? 5000,
      onListen: (url) => {
        options.out(
          `dashboard: ${url}` + (config.httpToken ? " (sign in with DNSA_HTTP_TOKEN)" : ""),
        );
        options.onListen?.(url);
        listening.resolve();
      },
    }).finally(() => (running = false));
    try {
      if (options.http !== false) await Promise.race([listening.promise, serving]);
      if (!traffic && running) {
        output = await connectDnstapSocket(demoConfig.dnstap!, {
          timeoutMs: 60_000,
          signal: options.signal,
        });
        traffic = simulate(output);
      }
      const deadline = options.seconds === undefined
        ? Infinity
        : performance.now() + options.seconds * 1000;
      let lastDraw = 0;
      while (traffic && running && !options.signal.aborted && performance.now() < deadline) {
        await traffic.tick();
        if (performance.now() - lastDraw >= 2000) {
          lastDraw = performance.now();
          count();
          await drawDemoView(ctx, result, { ...options, started });
        }
        await sleep(options.pollMs ?? 500, options.signal);
      }
      // Stopping: serve reads and commits everything written before it stops (a dnstap
      // stream's STOP turns the queries whose answers were dropped into rows at once).
      await traffic?.close();
      const written = traffic?.written ?? 0;
      const until = performance.now() + CATCH_UP_MS;
      while (running && metrics.ingest.rows < written && performance.now() < until) {
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
        (source === "dnstap"
          ? "from dnstap"
          : `${result.errorLines} query-errors lines joined or kept`),
    );
  } finally {
    await traffic?.close().catch(() => {});
    await channel.close();
    await ctx?.close();
    result.seconds = Math.round(performance.now() - started) / 1000;
    if (!options.keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
    else options.out(`kept ${dir} (logs in log/, embedded database in data/)`);
  }
  return result;
}

/** The value of option `name`, one of `choices` (undefined when absent). */
function choiceOption<T extends string>(
  values: Record<string, unknown>,
  name: string,
  choices: readonly T[],
): T | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new UsageError(`--${name}: ${JSON.stringify(v)} is not one of ${choices.join(", ")}`);
  }
  return v as T;
}

/** `dns-analytics demo`: runs on its own embedded database, so main opens nothing for it. */
export const demoCommand: CommandRecord = {
  name: "demo",
  summary: "simulated live BIND traffic ingested on the embedded database",
  usage:
    "dns-analytics demo [--source querylog|dnstap] [--dnstap-output file|unix] [--rate N] [--seconds N] [--keep]",
  options: {
    rate: { type: "string" },
    seconds: { type: "string" },
    keep: { type: "boolean" },
    source: { type: "string" },
    "dnstap-output": { type: "string" },
  },
  help: `Simulates what a well-configured BIND 9.18 gives and follows it live into a
fresh embedded database: realistic traffic (Zipf-popular names over real public
suffixes, IPv4 and IPv6 clients, UDP and TCP, EDNS/DO/cookie flags, NXDOMAIN
for random names, SERVFAIL and REFUSED answers, a resolver cache, and response
rate limiting of 10 identical answers a second per client /24, dropped or
slipped) written as

  --source querylog  (default) query-log and query-errors lines in the exact
                     shapes named writes, rotating like 'versions 5 size 512k';
  --source dnstap    dnstap CLIENT_QUERY/CLIENT_RESPONSE frames with rcodes,
                     response times and sizes: a file serve follows, or with
                     --dnstap-output unix serve's unix socket.

Beside it runs named's statistics channel, simulated on a loopback port and
read by serve through DNSA_NAMED_STATS every 5 s: its counters (answers by
rcode, rate-limit drops, cache hits) are exactly the simulated ones, so the
dashboard shows NXDOMAIN, the rate-limiting and cache panels, and with dnstap
the response-time chart, within half a minute.

Queries, rate and top domains are printed every two seconds. The dashboard,
JSON API and /metrics are served on DNSA_HTTP
(default 127.0.0.1:8053, a free port when that one is taken); the URL is
printed at start. Ctrl-C (or --seconds) stops it: the last lines are read and
committed, the totals printed, and the temporary directory removed.

It is 'serve' on that directory: the same follower, the scheduled jobs (rollup
and retention once at start, then on DNSA_ROLLUP_SCHEDULE and
DNSA_RETENTION_SCHEDULE; recorded in job_runs) and the same HTTP server.

Needs no PostgreSQL and no configuration.

Options:
  --source S          querylog (default) or dnstap
  --dnstap-output O   file (default) or unix, with --source dnstap
  --rate N            simulated queries per second (default 300)
  --seconds N         stop after N seconds (default: run until Ctrl-C)
  --keep              keep the temporary directory (logs and database)

Examples:
  deno task demo
  deno task demo --source dnstap`,
  database: "none",
  run: ({ loadConfig, log }, { values, out }) => {
    const rate = intOption(values, "rate", { min: 1, max: 100_000 });
    const seconds = intOption(values, "seconds", { min: 1, max: 86_400 });
    const source = choiceOption(values, "source", ["querylog", "dnstap"]);
    const dnstapOutput = choiceOption(values, "dnstap-output", ["file", "unix"]);
    const config = loadConfig();
    return withStopSignal(async (signal) => {
      await demo(config, log, {
        rate,
        seconds,
        source,
        dnstapOutput,
        keep: values.keep === true,
        redraw: Deno.stdout.isTerminal(),
        signal,
        out,
      });
      return 0;
    });
  },
};
