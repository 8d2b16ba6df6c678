/**
 * `demo` is serve on a demo configuration: run as the command is run (`demo --seconds N`), it
 * stores every simulated query through serve's tailer, and serve's scheduler records its
 * rollup runs in job_runs (the start-up run at least).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../lib/config.ts";
import { openDatabase } from "../lib/db/connect.ts";
import { runProgram } from "./integration/pg.ts";

Deno.test("demo --seconds: serve's tailer stores every query, serve's scheduler fills job_runs", async () => {
  const r = await runProgram(["demo", "--seconds", "4", "--rate", "500", "--keep"], {
    DNSA_HTTP: "127.0.0.1:0",
  });
  assert.equal(r.code, 0, r.stderr);
  const kept = /^kept (\S+) /m.exec(r.stdout);
  assert.ok(kept, r.stdout);
  const dir = kept[1];
  try {
    const stopped = /stopped: (\d+) of (\d+) simulated queries stored/.exec(r.stdout);
    assert.ok(stopped, r.stdout);
    assert.ok(Number(stopped[2]) > 0);
    assert.equal(stopped[1], stopped[2]);
    assert.match(r.stdout, /^dashboard: http:\/\/127\.0\.0\.1:\d+\//m);
    assert.match(r.stderr, /"msg":"serve started"/);

    const db = await openDatabase(
      loadConfig({ env: { DNSA_DATA_DIR: join(dir, "data"), DNSA_LOG_TZ: "UTC" } }),
    );
    try {
      const runs = await db.sql<{ job: string; trigger: string; status: string }[]>`
        select job, trigger, status from job_runs where node_name = 'demo' order by id`;
      const rollups = runs.filter((x) => x.job === "rollup");
      assert.ok(rollups.length > 0, JSON.stringify(runs));
      for (const run of rollups) {
        assert.ok(["startup", "cron"].includes(run.trigger), run.trigger);
        assert.equal(run.status, "ok");
      }
      const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from dns_queries`;
      assert.equal(n, Number(stopped[2]));
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
