/**
 * The schedule: every `Deno.cron` of the program, registered here and nowhere else. Schedules
 * are UTC cron expressions (Deno.cron has no zone), configurable with DNSA_ROLLUP_SCHEDULE,
 * DNSA_RETENTION_SCHEDULE and DNSA_FEDERATE_SCHEDULE (federate only when there are peers, in
 * DNSA_PEERS or in the node registry). Deno.cron never overlaps a job with itself and does not catch up
 * runs missed while the program was down, so the scheduler runs each job once at start, and the
 * jobs are idempotent and watermark-driven (rollup marks, partition days). Failed runs are
 * recorded and logged, not retried in a loop: the next slot runs again. One exception: a run
 * that failed because its session was read-only while the database takes writes again (the
 * pool's sessions opened during a read-only episode keep that default) renews the pool's
 * sessions (lib/db/read_only.ts) and runs once more.
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { acceptsWrites, renewSessions } from "../lib/db/read_only.ts";
import { classifyFault } from "../lib/fault.ts";
import { listPeers } from "../lib/federation/peer.ts";
import { closeAbandonedRuns, errorText, type Trigger } from "../lib/job_runs.ts";
import type { Service } from "../lib/serve/service.ts";
import { federate } from "./federate.ts";
import { retention } from "./retention.ts";
import { rollup } from "./rollup.ts";

/** One scheduled job. */
export interface ScheduledJob {
  name: string;
  schedule: string;
  run: (trigger: Trigger, signal: AbortSignal) => Promise<unknown>;
}

/**
 * Run `job`; when it fails on a read-only session while the database takes writes, renew the
 * sessions of the pool and run it once more.
 */
export async function runRecovering(
  ctx: JobContext,
  job: ScheduledJob,
  trigger: Trigger,
  signal: AbortSignal,
): Promise<unknown> {
  try {
    return await job.run(trigger, signal);
  } catch (error) {
    if (classifyFault(error).reason !== "read_only" || signal.aborted) throw error;
    if (!await acceptsWrites(ctx.sql)) throw error;
    const renewed = await renewSessions(ctx.sql);
    ctx.log.info("database takes writes again: sessions renewed, job run again", {
      job: job.name,
      trigger,
      sessions: renewed,
    });
    return await job.run(trigger, signal);
  }
}

/** The scheduled jobs of `ctx`'s configuration; `federate` only with `peers`. */
export function scheduledJobs(ctx: JobContext, options: { peers?: boolean } = {}): ScheduledJob[] {
  const jobs: ScheduledJob[] = [
    {
      name: "rollup",
      schedule: ctx.config.schedules.rollup,
      run: (trigger, signal) => rollup(ctx, { trigger, signal }),
    },
    {
      name: "retention",
      schedule: ctx.config.schedules.retention,
      run: (trigger, signal) => retention(ctx, { trigger, signal }),
    },
  ];
  if (options.peers) {
    jobs.push({
      name: "federate",
      schedule: ctx.config.schedules.federate,
      run: (trigger, signal) => federate(ctx, { trigger, signal }),
    });
  }
  return jobs;
}

let registrations = 0; // Deno.cron names are unique per process

/**
 * serve's scheduler: registers every scheduled job with Deno.cron, after running each once
 * (trigger `startup`) to catch up what was missed while the program was down. `start`
 * resolves at once (the start-up runs go on beside the tailer); `stop` ends the schedules and
 * waits for the runs in progress, which stop at their next safe point. Failures are logged and
 * recorded in job_runs, never thrown.
 */
export function createScheduler(ctx: JobContext): Service {
  const abort = new AbortController();
  const signal = abort.signal;
  const running = new Map<string, Promise<unknown>>();
  let startup: Promise<void> | null = null;
  // Jobs whose start-up run has not begun: a cron slot before it is left to it (it would
  // otherwise take the job's place, and the start-up run be skipped as a second run).
  const beforeStartup = new Set<string>();
  const runOnce = (job: ScheduledJob, trigger: Trigger) => {
    if (trigger === "cron" && beforeStartup.has(job.name)) return;
    if (trigger === "startup") beforeStartup.delete(job.name);
    // One run of a job at a time in this process (a cron slot during the start-up run).
    if (running.has(job.name) || signal.aborted) return running.get(job.name);
    const p = runRecovering(ctx, job, trigger, signal).catch((error) => {
      ctx.log.error("scheduled job failed", { job: job.name, trigger, error: errorText(error) });
    }).finally(() => running.delete(job.name));
    running.set(job.name, p);
    return p;
  };
  const schedule = async () => {
    const peers = await listPeers(ctx.sql, ctx.config).catch((error) => {
      ctx.log.error("federation peers unreadable", { error: errorText(error) });
      return [];
    });
    if (signal.aborted) return;
    const jobs = scheduledJobs(ctx, { peers: peers.length > 0 });
    for (const job of jobs) beforeStartup.add(job.name);
    const suffix = registrations++ === 0 ? "" : ` #${registrations}`;
    for (const job of jobs) {
      Deno.cron(
        `dns-analytics ${job.name}${suffix}`,
        job.schedule,
        { backoffSchedule: [], signal },
        async () => {
          await runOnce(job, "cron");
        },
      );
    }
    ctx.log.info("jobs scheduled", {
      jobs: Object.fromEntries(jobs.map((j) => [j.name, j.schedule])),
      zone: "UTC",
    });
    for (const job of jobs) await runOnce(job, "startup");
  };
  return {
    name: "scheduler",
    async start() {
      if (startup || signal.aborted) return;
      await closeAbandonedRuns(ctx.sql, ctx.config.node);
      startup = schedule().catch((error) =>
        ctx.log.error("scheduled jobs could not start", { job: "serve", error })
      );
    },
    async stop() {
      abort.abort();
      await startup;
      await Promise.all(running.values());
    },
  };
}
