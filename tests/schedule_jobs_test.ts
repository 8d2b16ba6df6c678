import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import type { JobContext } from "../lib/context.ts";
import { scheduledJobs } from "../jobs/schedule.ts";

Deno.test("federate is scheduled only when there are peers, at DNSA_FEDERATE_SCHEDULE", () => {
  const config = loadConfig({ env: { DNSA_FEDERATE_SCHEDULE: "*/10 * * * *" } });
  const ctx = { config } as unknown as JobContext;
  assert.deepEqual(scheduledJobs(ctx).map((j) => j.name), ["rollup", "retention"]);
  const jobs = scheduledJobs(ctx, { peers: true });
  assert.deepEqual(jobs.map((j) => j.name), ["rollup", "retention", "federate"]);
  assert.equal(jobs[2].schedule, "*/10 * * * *");
});
