/**
 * The `rollup` job (`deno task rollup`, and every DNSA_ROLLUP_SCHEDULE under `serve`): build
 * hourly and daily statistics from the raw queries. Without dates it rebuilds every window
 * ingest marked since the last run (everything up to now, the current partial hour and day
 * included); with dates, every window of those days. Recorded in job_runs.
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { type JobRun, recordedRun, type Trigger } from "../lib/job_runs.ts";
import { type RollupResult, rollupStatistics } from "../lib/rollup/rollup.ts";

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
