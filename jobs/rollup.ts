/**
 * The `rollup` job (`deno task rollup`, and every DNSA_ROLLUP_SCHEDULE under `serve`): build
 * hourly and daily statistics from the raw queries. Without dates it rebuilds every window
 * ingest marked since the last run (everything up to now, the current partial hour and day
 * included); with dates, every window of those days. Recorded in job_runs.
 *
 * Exports the job and its command record.
 *
 * @module
 */
import { checkDateRange, type CommandRecord, stringOption, withStopSignal } from "../lib/cli.ts";
import type { JobContext } from "../lib/context.ts";
import { type JobRun, recordedRun, type Trigger } from "../lib/job_runs.ts";
import { type RollupResult, rollupStatistics } from "../lib/rollup/rollup.ts";
import { ROLLUP_SQL } from "../lib/db/statements.ts";

/** Blocks of fewer queries than this are merged by each rollup run. */
const COMPACT_BELOW_ROWS = 1000;

/** Options of {@linkcode rollup}. */
export interface RollupJobOptions {
  from?: string;
  to?: string;
  trigger?: Trigger;
  signal?: AbortSignal;
  /** Draw progress on stderr. */
  progress?: boolean;
}

/** Run the rollup once, recorded in job_runs. */
export async function rollup(
  ctx: JobContext,
  options: RollupJobOptions = {},
): Promise<JobRun & { result: RollupResult }> {
  const trigger = options.trigger ?? "manual";
  let result: RollupResult | null = null;
  const encoder = new TextEncoder();
  const run = await recordedRun(
    ctx.sql,
    ctx.log,
    { job: "rollup", node: ctx.config.node, trigger },
    async () => {
      result = await rollupStatistics(ctx.sql, {
        tz: ctx.config.logTz,
        copy: ctx.copy,
        from: options.from,
        to: options.to,
        // A scheduled run leaves a window another run holds for the next run; a run by
        // hand waits for it.
        wait: trigger !== "cron",
        signal: options.signal,
        onWindow: options.progress
          ? (done, total, w) =>
            Deno.stderr.writeSync(
              encoder.encode(`\rrollup: ${done}/${total} windows (${w.nodeName} ${w.day})  `),
            )
          : undefined,
      });
      // Live ingest commits small blocks: merge those of the last runs (not the newest ten
      // minutes, which the live batches are still adding to).
      await ctx.sql.unsafe(ROLLUP_SQL.compactBlocks, [
        COMPACT_BELOW_ROWS,
        new Date(Date.now() - 600_000),
      ]);
      if (options.progress && result.windows + result.skipped > 0) {
        Deno.stderr.writeSync(encoder.encode("\n"));
      }
      return {
        status: result.windows === 0 && result.skipped > 0 ? "skipped" : "ok",
        rows: result.rows,
        detail: {
          windows: result.windows,
          skipped_windows: result.skipped,
          first_day: result.days[0] ?? null,
          last_day: result.days.at(-1) ?? null,
        },
      };
    },
  );
  return { ...run, result: result! };
}

/** `dns-analytics rollup`. */
export const rollupCommand: CommandRecord = {
  name: "rollup",
  summary: "build hourly and daily statistics from the raw queries",
  usage: "dns-analytics rollup [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
  options: { from: { type: "string" }, to: { type: "string" } },
  help: `Builds the statistics tables (dns_hourly_stats, dns_daily_stats and the per-domain,
per-apex, per-client, per-qtype and total tables) from dns_queries and the orphan
query-errors lines.

Without dates: every hour that ingest changed since the last rollup, up to now,
the current partial hour and day included (the next run re-aggregates them).
With --from/--to: every hour of those days (in DNSA_LOG_TZ) of the nodes whose
raw rows are in this database. A window is rebuilt in one transaction, so
running it again gives the same rows. 'serve' runs it every
DNSA_ROLLUP_SCHEDULE (default every 5 minutes, UTC) and once at start; a run by
hand waits for a window a scheduled run holds. Recorded in job_runs; prints a
JSON summary.

Examples:
  deno task rollup
  dns-analytics rollup --from 2026-11-01 --to 2026-11-30`,
  database: "migrated",
  check: ({ values }) => checkDateRange(values),
  run: (ctx, { values, out }) =>
    withStopSignal(async (signal) => {
      const run = await rollup(ctx, {
        from: stringOption(values, "from"),
        to: stringOption(values, "to"),
        signal,
        progress: Deno.stderr.isTerminal(),
      });
      out(JSON.stringify({ status: run.status, rows: run.rows, ...run.detail }));
      return 0;
    }),
};
