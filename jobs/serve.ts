/**
 * The `serve` job (`deno task start`): the main job. Follows `DNSA_QUERY_LOG` and
 * `DNSA_ERROR_LOG` continuously through the same parse → batch → commit-with-checkpoint path
 * as `ingest`, so it continues from the checkpoints `ingest` left, and `ingest` from its. While
 * the database is down, reading pauses (the batch is retried with bounded backoff) and BIND's
 * rotated files hold the backlog. Returns when `signal` aborts, after committing what it read.
 *
 * The scheduled jobs (jobs/schedule.ts) run beside the tailer: once at start to catch up,
 * then on their schedules.
 *
 * Not yet part of it: HTTP, dnstap.
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { nodeIdOf } from "../lib/context.ts";
import { follow, type FollowStats } from "../lib/ingest/follower.ts";
import { guardCopyWriteRace } from "../lib/db/connect.ts";
import { closeAbandonedRuns } from "../lib/job_runs.ts";
import { startSchedule } from "./schedule.ts";

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  signal: AbortSignal;
  /** Files never read before start at their end instead of their start. */
  fromEnd?: boolean;
  /** Interval of the summary log line, ms. Default 60 000. */
  summaryMs?: number;
  /** Run the scheduled jobs (default true). */
  schedule?: boolean;
}

/** Follow the logs until `signal` aborts. */
export async function serve(ctx: JobContext, options: ServeOptions): Promise<FollowStats> {
  const { config, log } = ctx;
  if (config.source !== "querylog") {
    throw new Error(`DNSA_SOURCE=${config.source} is not available yet: use querylog`);
  }
  const nodeId = await nodeIdOf(ctx.sql, config.node);
  const paths = [config.queryLog, config.errorLog];
  log.info("serve started", { job: "serve", node: config.node, paths, poll_ms: config.pollMs });
  let last: FollowStats | null = null;
  const summary = setInterval(() => {
    if (!last) return;
    log.info("serve summary", {
      job: "serve",
      lines: last.lines,
      rows: last.rows,
      error_lines: last.errorLines,
      rejected: last.rejected,
      reasons: last.reasons,
      skipped: last.skipped,
      pending: last.pending,
      batches: last.batches,
      retries: last.retries,
      behind_bytes: last.behind,
      last_commit_at: last.lastCommitAt ? new Date(last.lastCommitAt).toISOString() : null,
    });
  }, options.summaryMs ?? 60_000);
  let jobs: Promise<void> = Promise.resolve();
  if (options.schedule !== false) {
    await closeAbandonedRuns(ctx.sql, config.node);
    jobs = startSchedule(ctx, options.signal).catch((error) =>
      log.error("scheduled jobs could not start", { job: "serve", error })
    );
  }
  const unguard = guardCopyWriteRace((message) =>
    log.warn("connection lost during a COPY; the batch is retried", { job: "serve", message })
  );
  try {
    const stats = await follow({
      sql: ctx.sql,
      nodeId,
      tz: config.logTz,
      knownDays: new Set(),
      copy: ctx.copy,
      retryForMs: Infinity, // a long outage pauses reading; the log files are the queue
      signal: options.signal,
      onRetry: ({ attempt, delayMs, error }) =>
        log.warn("database unavailable, retrying batch", {
          job: "serve",
          attempt,
          delay_ms: Math.round(delayMs),
          error,
        }),
    }, {
      paths,
      pollMs: config.pollMs,
      fromEnd: options.fromEnd,
      log,
      signal: options.signal,
      onPass: (s) => (last = s),
    });
    await jobs;
    log.info("serve stopped", { job: "serve", lines: stats.lines, rows: stats.rows });
    return stats;
  } finally {
    clearInterval(summary);
    unguard();
  }
}
