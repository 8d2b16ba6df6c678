import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { runRecovering, scheduledJobs } from "../../jobs/schedule.ts";
import { loadConfig } from "../../lib/config.ts";
import { createLogger } from "../../lib/log.ts";
import { adminUrl, createTestDb, startServe, stderrOf } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;

/** Poll `check` every 200 ms until it is true or `ms` passed; its last value. */
async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A BIND 9.18 query line for `at` (local = UTC here). */
function queryLine(at: Date, n: number): string {
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const d = `${String(at.getUTCDate()).padStart(2, "0")}-${months[at.getUTCMonth()]}-` +
    `${at.getUTCFullYear()} ${at.toISOString().slice(11, 23)}`;
  return `${d} client @0x7f3a5c001d58 192.0.2.${n % 200 + 1}#5353 (late${n}.example.org): ` +
    `query: late${n}.example.org IN A +E(0)K (192.0.2.53)`;
}

Deno.test("serve: catches up the rollup and retention at start, then runs them on schedule", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-schedule-" });
  try {
    const env = {
      DATABASE_URL: db.url,
      DNSA_NODE: "dns1",
      DNSA_LOG_TZ: "UTC",
      DNSA_RETENTION_DAYS: "36500",
    };
    // Rows ingested while no serve ran: nobody rolled them up yet.
    const ing = await db.run([
      "ingest",
      join(FIXTURES, "queries.log.gz"),
      join(FIXTURES, "query-errors.log"),
    ], env);
    assert.equal(ing.code, 0, ing.stderr);
    const [before] = await db.sql`select count(*)::int as n from dns_daily_totals`;
    assert.equal(before.n, 0);

    const queryLog = join(dir, "queries.log");
    await Deno.writeTextFile(queryLog, "");
    await Deno.writeTextFile(join(dir, "query-errors.log"), "");
    let failure = "";
    const child = startServe({
      ...env,
      DNSA_QUERY_LOG: queryLog,
      DNSA_ERROR_LOG: join(dir, "query-errors.log"),
      DNSA_POLL_MS: "200",
      // Deno's test hook: every cron fires this many ms after the last run.
      DENO_CRON_TEST_SCHEDULE_OFFSET: "1500",
    });
    try {
      const caughtUp = await waitFor(async () => {
        const runs = await db.sql`select job from job_runs
          where trigger = 'startup' and status = 'ok'`;
        return runs.length === 2;
      }, 60_000);
      if (!caughtUp) {
        const runs = await db.sql`select job, trigger, status, started_at, finished_at, error
          from job_runs order by id`;
        failure = "the start-up runs of rollup and retention were not both recorded ok " +
          `within 60 s:\n${JSON.stringify(runs, null, 1)}`;
        assert.fail(failure);
      }
      const [{ total }] = await db.sql`select sum(hit_count)::int as total from dns_daily_totals`;
      const [{ raw }] = await db.sql`select count(*)::int as raw from dns_queries`;
      const [{ orphans }] = await db.sql`select count(*)::int as orphans from dns_query_errors
        where matched_query_at is null and kind <> 'ratelimit'`;
      assert.equal(total, raw + orphans);

      // New lines while serve runs: a scheduled rollup (not the start-up one) adds them.
      const now = Date.now();
      await Deno.writeTextFile(
        queryLog,
        Array.from({ length: 50 }, (_, i) => queryLine(new Date(now - 1000 + i), i)).join("\n") +
          "\n",
      );
      const rolled = await waitFor(async () => {
        const [r] = await db.sql`select count(*)::int as n from dns_daily_domains
          where domain like 'late%.example.org'`;
        return r.n === 50;
      }, 60_000);
      assert.ok(rolled, "a scheduled rollup took the new rows into the statistics");
      const cron = await db.sql`select status from job_runs where job = 'rollup'
        and trigger = 'cron'`;
      assert.ok(cron.length >= 1);
      assert.ok(cron.every((r) => r.status === "ok" || r.status === "skipped"));
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      const err = await stderrOf(child);
      if (failure) assert.fail(`${failure}\nserve's log:\n${err.slice(-6000)}`);
      assert.equal(status.code, 0, err);
      assert.match(err, /"msg":"jobs scheduled"/);
    }
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a scheduled job after a read-only episode renews the pool's read-only sessions and runs", async () => {
  const db = await createTestDb();
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  const name = new URL(db.url).pathname.slice(1);
  const pool = postgres(db.url, { max: 3, onnotice: () => {} });
  try {
    const ing = await db.run([
      "ingest",
      join(FIXTURES, "queries.log.gz"),
      join(FIXTURES, "query-errors.log"),
    ], { DNSA_NODE: "dns1" });
    assert.equal(ing.code, 0, ing.stderr);
    // Every session of the pool starts while the database is read-only (a failover, or
    // ALTER DATABASE … SET default_transaction_read_only), then the database takes writes.
    await admin.unsafe(`alter database ${name} set default_transaction_read_only = on`);
    const sessions = () =>
      Promise.all(
        [1, 2, 3].map(() =>
          pool<{ ro: string }[]>`select current_setting('default_transaction_read_only') as ro,
          pg_sleep(0.2)`
        ),
      );
    assert.deepEqual((await sessions()).map(([r]) => r.ro), ["on", "on", "on"]);
    await admin.unsafe(`alter database ${name} reset default_transaction_read_only`);
    const config = loadConfig({
      env: { DATABASE_URL: db.url, DNSA_NODE: "dns1", DNSA_LOG_TZ: "UTC" },
    });
    const log = createLogger({ level: "error", write: () => {} });
    const ctx = { config, sql: pool, copy: true, log, close: async () => {} };
    const rollup = scheduledJobs(ctx).find((j) => j.name === "rollup")!;
    // On those sessions the job itself cannot write.
    await assert.rejects(rollup.run("cron", new AbortController().signal), { code: "25006" });
    await runRecovering(ctx, rollup, "cron", new AbortController().signal);
    const [runs] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from job_runs where job = 'rollup' and status = 'ok'`;
    assert.equal(runs.n, 1);
    const [totals] = await db.sql<{ n: number }[]>`select count(*)::int as n from dns_daily_totals`;
    assert.ok(totals.n > 0, "the statistics were built");
    assert.deepEqual((await sessions()).map(([r]) => r.ro), ["off", "off", "off"]);
  } finally {
    await pool.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
    await db.drop();
  }
});
