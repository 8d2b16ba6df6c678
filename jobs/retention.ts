/**
 * The `retention` job (`deno task retention`, and every DNSA_RETENTION_SCHEDULE under
 * `serve`): drop raw day partitions older than DNSA_RETENTION_DAYS, statistics older than
 * DNSA_STATS_RETENTION_DAYS, create the coming days' partitions, and with
 * DNSA_CLIENT_IP_FULL_DAYS rewrite older days' client addresses (lib/privacy/tiers.ts).
 * Recorded in job_runs.
 * Exports the job and its command record.
 *
 * @module
 */
import type { CommandRecord } from "../lib/cli.ts";
import type { JobContext } from "../lib/context.ts";
import { type JobRun, recordedRun, type Trigger } from "../lib/job_runs.ts";
import { applyRetention, type RetentionResult } from "../lib/retention.ts";
import { applyServerCounterRetention } from "../lib/server_stats/retention.ts";
import { createPrivacyPolicy } from "../lib/privacy/policy.ts";
import { rewriteOldDays } from "../lib/privacy/tiers.ts";
import { packClosedDays } from "../lib/retention_pack.ts";

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
      const tier = await rewriteOldDays(ctx.sql, {
        tz: ctx.config.logTz,
        copy: ctx.copy,
        policy: createPrivacyPolicy(ctx.config.privacy),
        now: options.now,
        signal: options.signal,
      });
      // Last, so that days a tier rewrite above has just rewritten are packed after it.
      const packed = await packClosedDays(ctx.sql, {
        concurrent: ctx.copy !== false,
        now: options.now,
        signal: options.signal,
        onWait: (partition) =>
          ctx.log.warn("index rebuild waited too long for older transactions; next run", {
            job: "retention",
            partition,
          }),
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
          privacy_rewritten_days: tier.days,
          privacy_rewritten_rows: tier.rows,
          packed_partitions: packed.length,
        },
      };
    },
  );
  return { ...run, result: result! };
}

/** `dns-analytics retention`. */
export const retentionCommand: CommandRecord = {
  name: "retention",
  summary: "drop raw partitions and statistics past their retention",
  usage: "dns-analytics retention",
  options: {},
  help: `Drops the day partitions of dns_queries older than DNSA_RETENTION_DAYS (default
30: today and the 30 days before it are kept), after rolling up what they still
owe the statistics; deletes query-errors lines and reject samples of those days
in bounded steps; deletes statistics older than DNSA_STATS_RETENTION_DAYS
(default 400), one day at a time; creates the partitions of today and the next
two days. With DNSA_CLIENT_IP_FULL_DAYS=N, rewrites the client addresses of
days older than N (truncated or hashed as DNSA_CLIENT_IP says) by a partition
swap and rebuilds their statistics. Last, rebuilds once the search indexes of
each day over for an hour (they grow to ~3x their rebuilt size while the day's
blocks arrive; REINDEX CONCURRENTLY, searches go on). 'serve' runs it at
DNSA_RETENTION_SCHEDULE (default 03:17 UTC daily) and once at start. Recorded in job_runs; prints a JSON summary.

Example:
  DNSA_RETENTION_DAYS=14 deno task retention`,
  database: "migrated",
  async run(ctx, { out }) {
    const run = await retention(ctx);
    out(JSON.stringify({ status: run.status, ...run.detail }));
    return 0;
  },
};
