/**
 * The demo's console view: queries written and stored, the rate, and the top domains, redrawn
 * in place on a terminal or printed as lines.
 *
 * @module
 */
import type { JobContext } from "../context.ts";
import { runReport } from "../report.ts";
import { rollupStatistics } from "../rollup/rollup.ts";
import type { NamedCounters } from "./named_counters.ts";

/** What the view shows. */
export interface DemoCounts {
  written: number;
  stored: number;
  errorLines: number;
  /** named's counters of the simulated traffic, when kept. */
  named?: NamedCounters;
}

/** One line of named's counters: answers by rcode, rate limiting, cache. */
export function namedLine(named: NamedCounters): string {
  const ns = named.nsstats, c = named.cachestats;
  const answers = ns.Response ?? 0;
  const pct = (n: number, of: number) => `${(100 * n / Math.max(of, 1)).toFixed(1)} %`;
  const lookups = (c.QueryHits ?? 0) + (c.QueryMisses ?? 0);
  return `named: ${answers} answers, NOERROR ${pct(named.rcodes.NOERROR ?? 0, answers)}, ` +
    `NXDOMAIN ${pct(named.rcodes.NXDOMAIN ?? 0, answers)}, ` +
    `SERVFAIL ${pct(named.rcodes.SERVFAIL ?? 0, answers)}, ` +
    `rate-limit dropped ${ns.RateDropped ?? 0} slipped ${ns.RateSlipped ?? 0}, ` +
    `cache hits ${pct(c.QueryHits ?? 0, lookups)}`;
}

/** Draw the view once; `started` is the `performance.now()` of the start. */
export async function drawDemoView(
  ctx: JobContext,
  counts: DemoCounts,
  options: { started: number; redraw?: boolean; out: (text: string) => void },
): Promise<void> {
  const secs = (performance.now() - options.started) / 1000;
  // A rollup with every redraw (besides serve's scheduled ones), so the top list follows the
  // traffic closely; not recorded in job_runs.
  await rollupStatistics(ctx.sql, { tz: ctx.config.logTz, copy: ctx.copy });
  const top = await runReport(ctx.sql, "top-domains", { tz: ctx.config.logTz, limit: 5 });
  const lines = [
    `${new Date().toISOString().slice(11, 19)}  queries written ${counts.written}, stored ` +
    `${counts.stored} (${Math.round(counts.stored / Math.max(secs, 0.001))}/s), ` +
    `query-errors lines ${counts.errorLines}`,
    ...(counts.named ? [namedLine(counts.named)] : []),
    ...top.rows.map((r, i) =>
      `  ${i + 1}. ${String(r.domain).padEnd(28)} ${String(r.hit_count).padStart(7)} queries, ` +
      `${r.unique_clients} clients`
    ),
  ];
  if (options.redraw) options.out(`\x1b[H\x1b[2J${lines.join("\n")}\n(Ctrl-C to stop)`);
  else options.out(lines.join("\n"));
}
