/**
 * The `retention` job (`deno task retention`, and every DNSA_RETENTION_SCHEDULE under
 * `serve`): drop raw day partitions older than DNSA_RETENTION_DAYS, statistics older than
 * DNSA_STATS_RETENTION_DAYS, and create the coming days' partitions. Recorded in job_runs.
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { type JobRun, recordedRun, type Trigger } from "../lib/job_runs.ts";
import { applyRetention, type RetentionResult } from "../lib/retention.ts";
import { applyServerCounterRetention } from "../lib/server_stats/retention.ts";

/** Run retention once, recorded in job_runs. */
export async function retention(
  ctx: JobContext,
  options: { trigger?: Trigger; signal?: AbortSignal; now?: Date } = {},
): Promise<JobRun & { result: RetentionResult }> {
  let result: RetentionResult | null = null;
  const run = await recordedRun(
    ctx.sql,
    ctx.log,
    { job: "retention", node: ctx.config.node, trigger: options.trigger ?? "manual" },
    async () => {
      result = await applyRetention(ctx.sql, {
        tz: ctx.config.logTz,
        copy: ctx.copy,
        retentionDays: ctx.config.retentionDays,
        statsRetentionDays: ctx.config.statsRetentionDays,
        now: options.now,
        signal: options.signal,
      });
      const counterDays = await applyServerCounterRetention(ctx.sql, {
        tz: ctx.config.logTz,
        statsRetentionDays: ctx.config.statsRetentionDays,
        now: options.now,
        signal: options.signal,
      });
      return {
        rows: result.errorLinesDeleted + result.rejectsDeleted,
        detail: {
          dropped_days: result.droppedDays,
          created_days: result.createdDays,
          error_lines_deleted: result.errorLinesDeleted,
          rejects_deleted: result.rejectsDeleted,
          stats_days_deleted: result.statsDaysDeleted.length,
          rolled_up_windows: result.rolledUp,
          server_counter_days_deleted: counterDays.length,
        },
      };
    },
  );
  return { ...run, result: result! };
}
