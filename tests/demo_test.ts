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
import { nxdomainOf, pollApi, startDemo } from "./demo_process.ts";

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

/** What the dashboard of `demo --source <source>` shows through the API within 30 s. */
async function demoShowsNxdomain(source: "querylog" | "dnstap", extra: string[] = []) {
  const demo = await startDemo(["--source", source, "--seconds", "600", ...extra]);
  let stopped: Awaited<ReturnType<typeof demo.stop>> | null = null;
  try {
    // Within 30 s of the dashboard's start: named's counters of NXDOMAIN (the summary's source
    // with the query log), the statistics' NXDOMAIN with dnstap, and dropped answers (RRL).
    const q = "?days=1&limit=10000";
    const nx = await pollApi(
      demo.url,
      `/api/reports/${source === "querylog" ? "server-rcodes" : "rcode-rates"}${q}`,
      nxdomainOf(source === "querylog" ? "counters" : "statistics"),
      30_000,
    );
    assert.ok(nx !== null && nx > 0, `no NXDOMAIN through the API within 30 s (${source})`);
    const after = ((performance.now() - demo.listeningAt) / 1000).toFixed(1);
    console.log(`demo --source ${source} ${extra.join(" ")}: NXDOMAIN in the API after ${after} s`);
    const dropped = await pollApi(demo.url, `/api/reports/server-rrl${q}`, (b) => {
      const rows = (b.rows ?? []) as { rate_dropped?: number }[];
      const n = rows.reduce((a, r) => a + Number(r.rate_dropped ?? 0), 0);
      return n > 0 ? n : null;
    }, Math.max(1000, 30_000 - (performance.now() - demo.listeningAt)));
    assert.ok(dropped !== null, `no RRL drops through the API within 30 s (${source})`);
    if (source === "dnstap") {
      const latency = await pollApi(demo.url, `/api/reports/queries-per-hour${q}`, (b) => {
        const rows = (b.rows ?? []) as { latency_p95_us?: number | null }[];
        return rows.find((r) => Number(r.latency_p95_us) > 0)?.latency_p95_us ?? null;
      }, Math.max(1000, 30_000 - (performance.now() - demo.listeningAt)));
      assert.ok(latency !== null, "no response time through the API within 30 s (dnstap)");
    }
  } finally {
    stopped = await demo.stop();
  }
  assert.equal(stopped.code, 0, stopped.stderr.slice(-3000));
  const done = /stopped: (\d+) of (\d+) simulated queries stored/.exec(stopped.stdout);
  assert.ok(done, stopped.stdout.slice(-2000));
  assert.equal(done[1], done[2]);
  assert.match(stopped.stderr, /"services":\[[^\]]*"named-stats"/);
}

Deno.test("demo --source querylog: NXDOMAIN from the simulated statistics channel, RRL drops", async () => {
  await demoShowsNxdomain("querylog");
});

Deno.test("demo --source dnstap: NXDOMAIN, response times and RRL drops (dnstap file)", async () => {
  await demoShowsNxdomain("dnstap");
});

Deno.test("demo --source dnstap --dnstap-output unix: the same through serve's socket", async () => {
  await demoShowsNxdomain("dnstap", ["--dnstap-output", "unix"]);
});
