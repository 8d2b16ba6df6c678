/**
 * Job runs: every run of a scheduled job (rollup, retention, federate), whatever started it,
 * is recorded in `job_runs` with its start, end, status, rows and error.
 *
 * @module
 */
import type postgres from "postgres";
import type { Sql } from "./db/connect.ts";
import { errorText } from "./error_text.ts";
import type { Logger } from "./log.ts";

/** {@linkcode errorText} of lib/error_text.ts, for the callers of job runs. */
export { errorText };

/** What started a run. */
export type Trigger = "cron" | "manual" | "startup";

/** What a job's body reports. */
export interface JobOutcome {
  /** `skipped` when the job found its work held by another run. Default `ok`. */
  status?: "ok" | "skipped";
  rows: number;
  detail?: Record<string, unknown>;
}

/** A run as recorded. */
export interface JobRun extends JobOutcome {
  id: number;
  job: string;
  status: "ok" | "skipped";
  seconds: number;
}

/**
 * Run `body` as job `job`, recorded in job_runs. A failure is recorded and logged, then
 * thrown again.
 */
export async function recordedRun(
  sql: Sql,
  log: Logger,
  run: { job: string; node: string; trigger: Trigger },
  body: () => Promise<JobOutcome>,
): Promise<JobRun> {
  const started = performance.now();
  const [row] = await sql<{ id: string }[]>`
    insert into job_runs (job, node_name, trigger, status)
    values (${run.job}, ${run.node}, ${run.trigger}, 'running') returning id`;
  const id = Number(row.id);
  try {
    const outcome = await body();
    const status = outcome.status ?? "ok";
    await sql`update job_runs set finished_at = clock_timestamp(), status = ${status},
      rows = ${outcome.rows}, detail = ${sql.json((outcome.detail ?? {}) as postgres.JSONValue)}
      where id = ${id}`;
    const seconds = (performance.now() - started) / 1000;
    log.info("job finished", {
      job: run.job,
      trigger: run.trigger,
      status,
      rows: outcome.rows,
      seconds: Math.round(seconds * 1000) / 1000,
      ...outcome.detail,
    });
    return { id, job: run.job, status, rows: outcome.rows, detail: outcome.detail, seconds };
  } catch (error) {
    const message = errorText(error);
    await sql`update job_runs set finished_at = clock_timestamp(), status = 'failed',
      error = ${message} where id = ${id}`.catch(() => {});
    log.error("job failed", { job: run.job, trigger: run.trigger, error: message });
    throw error;
  }
}

/** Mark runs of this node left `running` by a process that ended as failed. */
export async function closeAbandonedRuns(sql: Sql, node: string): Promise<void> {
  await sql`update job_runs set status = 'failed', finished_at = clock_timestamp(),
    error = 'the process ended during the run'
    where node_name = ${node} and status = 'running'
      and started_at < clock_timestamp() - interval '6 hours'`;
}
