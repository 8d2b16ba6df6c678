/**
 * The collector `serve` runs beside the tailer when DNSA_NAMED_STATS is set: one collection of
 * named's server counters at start, then one a minute. A failure (named down, channel off, a
 * slow answer past the timeout, the database away) is logged and counted, never fatal: the
 * next collection's delta covers the gap, since it starts from the last stored reading.
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../log.ts";
import type { MetricsRecorder } from "../metrics.ts";
import { collectServerCounters } from "./collect.ts";

/** Options of {@linkcode runServerCounterCollector}. */
export interface CollectorOptions {
  node: string;
  url: string;
  tz: string;
  log: Logger;
  metrics?: MetricsRecorder;
  signal: AbortSignal;
  /** Between collections, ms (default 60 000). */
  intervalMs?: number;
  /** Fetch timeout, ms (default 5000). */
  timeoutMs?: number;
}

/** Collect until `signal` aborts; resolves then. */
export async function runServerCounterCollector(
  sql: Sql,
  options: CollectorOptions,
): Promise<void> {
  const interval = options.intervalMs ?? 60_000;
  let failing = false;
  while (!options.signal.aborted) {
    const started = Date.now();
    try {
      const r = await collectServerCounters(sql, {
        node: options.node,
        url: options.url,
        tz: options.tz,
        timeoutMs: options.timeoutMs,
      });
      if (options.metrics) options.metrics.namedStatsReads++;
      if (failing) options.log.info("named statistics channel readable again", { job: "serve" });
      failing = false;
      if (r.restarted) {
        options.log.info("named restarted: its counters started again", {
          job: "serve",
          minute: r.minute?.toISOString(),
        });
      }
    } catch (error) {
      if (options.metrics) options.metrics.namedStatsFailures++;
      // One warning per outage, not one a minute.
      if (!failing) {
        options.log.warn("named statistics channel not collected", {
          job: "serve",
          url: options.url,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      failing = true;
    }
    const wait = Math.max(1000, interval - (Date.now() - started));
    await pause(wait, options.signal);
  }
}

/** Wait `ms` or until `signal` aborts, leaving no listener behind (this runs for months). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
