/**
 * The schedule: every `Deno.cron` of the program, registered here and nowhere else. Schedules
 * are UTC cron expressions (Deno.cron has no zone), configurable with DNSA_ROLLUP_SCHEDULE,
 * DNSA_RETENTION_SCHEDULE and DNSA_FEDERATE_SCHEDULE (federate only when there are peers, in
 * DNSA_PEERS or in the node registry). Deno.cron never overlaps a job with itself and does not catch up
 * runs missed while the program was down, so the scheduler runs each job once at start, and the
 * jobs are idempotent and watermark-driven (rollup marks, partition days). Failed runs are
 * recorded and logged, not retried in a loop: the next slot runs again.
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
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
  const runOnce = (job: ScheduledJob, trigger: Trigger) => {
    // One run of a job at a time in this process (a cron slot during the start-up run).
    if (running.has(job.name) || signal.aborted) return running.get(job.name);
    const p = job.run(trigger, signal).catch((error) => {
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
