/**
 * The HTTP API against real PostgreSQL: the fixture ingested and rolled up by the program,
 * then every endpoint served through a read-only role (as the dashboard may run with
 * dns_reader), federation peers in /metrics once their table exists; and `serve` as a
 * process with a token.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { loadConfig } from "../../lib/config.ts";
import { openReadOnlyPool } from "../../lib/db/connect.ts";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { DASHBOARD_ASSETS } from "../../lib/http/dashboard/assets.ts";
import { startHttpServer } from "../../lib/http/server.ts";
import { createTestDb, startServe } from "./pg.ts";
import { parseExposition, sampleValue } from "../http/exposition.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));
const RANGE = "from=2026-11-25&to=2026-11-25";

Deno.test("http on PostgreSQL: every endpoint through a read-only role", async () => {
  const db = await createTestDb();
  const role = `dnsa_ro_${Date.now().toString(36)}`;
  const ac = new AbortController();
  let ro: postgres.Sql | null = null;
  let finished: Promise<void> | null = null;
  try {
    const ing = await db.run(["ingest", QUERIES, ERRORS]);
    assert.equal(ing.code, 0, ing.stderr);
    const roll = await db.run(["rollup"]);
    assert.equal(roll.code, 0, roll.stderr);
    const dbName = new URL(db.url).pathname.slice(1);
    await db.sql.unsafe(`create role ${role} login password 'ro-secret'`);
    await db.sql.unsafe(`grant connect on database ${dbName} to ${role}`);
    await db.sql.unsafe(`grant usage on schema public to ${role}`);
    await db.sql.unsafe(`grant select on all tables in schema public to ${role}`);
    const u = new URL(db.url);
    u.username = role;
    u.password = "ro-secret";
    ro = postgres(u.toString(), { max: 2, onnotice: () => {} });
    await assert.rejects(
      ro`insert into dns_nodes (node_name) values ('x')`,
      (e: { code?: string }) => e.code === "42501",
      "the role may only read",
    );
    // What serve reads with: transactions are read-only whatever the role may do.
    const readOnly = openReadOnlyPool(db.url, { max: 1 });
    await assert.rejects(
      readOnly`insert into dns_nodes (node_name) values ('x')`,
      (e: { code?: string }) => e.code === "25006", // read_only_sql_transaction
    );
    await readOnly.end({ timeout: 5 });
    const config = loadConfig({
      env: { DATABASE_URL: db.url, DNSA_LOG_TZ: "UTC", DNSA_NODE: "test" },
    });
    const server = await startHttpServer({
      sql: ro,
      config,
      metrics: new MetricsRecorder({ source: "querylog" }),
      log: createLogger({ level: "error" }),
      assets: DASHBOARD_ASSETS,
    }, { hostname: "127.0.0.1", port: 0, signal: ac.signal });
    finished = server.finished;
    const get = async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      return await res.json();
    };

    const top = await get(`api/reports/top-domains?${RANGE}&limit=10`);
    const sent = truth.client_side.top_50_domains as Record<string, number>;
    assert.equal(top.rows[0].domain, "youtube.com");
    for (const row of top.rows) assert.equal(row.hit_count, sent[row.domain], row.domain);
    for (
      const name of ["top-apex-domains", "top-clients", "qtype-mix", "rcode-rates", "top-servfail"]
    ) {
      const r = await get(`api/reports/${name}?${RANGE}&node=test`);
      assert.ok(r.rows.length > 0, name);
      assert.deepEqual(r.nodes, ["test"]);
    }
    const hours = await get(`api/reports/queries-per-hour?${RANGE}`);
    const total = hours.rows.reduce((s: number, r: { hit_count: number }) => s + r.hit_count, 0);
    const totals = await get(`api/reports/node-totals?${RANGE}`);
    assert.equal(totals.rows[0].hit_count, total);
    // Every query, plus the query-errors lines without their query (failed queries of their own).
    assert.ok(total >= truth.expected_queries_log_lines, String(total));

    const domain = await get(`api/domain?name=youtube.com&${RANGE}`);
    assert.equal(domain.days[0].hit_count, sent["youtube.com"]);
    assert.equal(
      domain.qtypes.reduce((s: number, q: { hit_count: number }) => s + q.hit_count, 0),
      sent["youtube.com"],
    );
    const client = await get(`api/client?ip=127.0.0.10&${RANGE}`);
    assert.ok(client.days[0].hit_count > 0);
    assert.equal(client.nodes[0].node_name, "test");
    const nodes = await get("api/nodes");
    assert.equal(nodes.nodes[0].node_name, "test");
    assert.ok(nodes.nodes[0].last_commit_at);
    const health = await get("api/health");
    assert.equal(health.database, "ok");
    assert.equal(health.jobs[0].job, "rollup");

    const scrape = async () => {
      const res = await fetch(`${server.url}metrics`);
      assert.equal(res.status, 200);
      return parseExposition(await res.text());
    };
    let m = await scrape();
    assert.equal(sampleValue(m, "dnsa_database_up"), 1);
    assert.equal(sampleValue(m, "dnsa_job_runs_total", { job: "rollup", status: "ok" }), 1);
    assert.equal(
      m.filter((s) => s.name === "dnsa_federation_peer_last_success_timestamp_seconds").length,
      0,
    );
    // Peers appear once federate has recorded them: one pulled, one never reached.
    await db.sql`insert into federation_peers (peer_name, last_success_at, last_error) values
      ('dns2', '2026-11-25 20:00:00+00', null), ('dns3', null, 'refused')`;
    m = await scrape();
    assert.equal(
      sampleValue(m, "dnsa_federation_peer_last_success_timestamp_seconds", { peer: "dns2" }),
      Date.parse("2026-11-25T20:00:00Z") / 1000,
    );
    assert.equal(
      sampleValue(m, "dnsa_federation_peer_last_success_timestamp_seconds", { peer: "dns3" }),
      0,
    );
    // A failed run after the good one: the job counts as failing until a run succeeds.
    await db.sql`insert into job_runs (job, node_name, trigger, status, finished_at, error)
      values ('rollup', 'test', 'cron', 'failed', clock_timestamp() + interval '1 s', 'boom')`;
    m = await scrape();
    assert.equal(sampleValue(m, "dnsa_job_last_run_failed", { job: "rollup" }), 1);
    assert.equal(sampleValue(m, "dnsa_job_runs_total", { job: "rollup", status: "failed" }), 1);
    assert.ok(sampleValue(m, "dnsa_job_last_success_timestamp_seconds", { job: "rollup" })! > 0);
    const failed = await get("api/health");
    assert.equal(failed.jobs[0].status, "failed");
    assert.equal(failed.jobs[0].error, "boom");
    const healthz = await fetch(`${server.url}healthz`);
    assert.equal(await healthz.text(), "ok");
  } finally {
    ac.abort();
    await finished;
    await ro?.end({ timeout: 5 });
    await db.drop();
    const admin = postgres(Deno.env.get("DNSA_TEST_DATABASE_URL")!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.end({ timeout: 5 });
  }
});

Deno.test("serve with a token on PostgreSQL: bearer needed, healthz open, SIGTERM stops HTTP too", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-http-serve-" });
  const token = "pg-test-token-9f8e7d6c5b4a";
  // HTTP reads as a role that may only read (created before the tables: default privileges).
  const role = `dnsa_reader_${Date.now().toString(36)}`;
  const dbName = new URL(db.url).pathname.slice(1);
  await db.sql.unsafe(`create role ${role} login password 'reader-secret'`);
  await db.sql.unsafe(`grant connect on database ${dbName} to ${role}`);
  await db.sql.unsafe(`grant usage on schema public to ${role}`);
  await db.sql.unsafe(
    `alter default privileges in schema public grant select on tables to ${role}`,
  );
  const readerUrl = new URL(db.url);
  readerUrl.username = role;
  readerUrl.password = "reader-secret";
  const child = startServe({
    DNSA_HTTP_DATABASE_URL: readerUrl.toString(),
    DATABASE_URL: db.url,
    DNSA_LOG_TZ: "UTC",
    DNSA_NODE: "test",
    DNSA_QUERY_LOG: join(dir, "queries.log"),
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
    DNSA_HTTP: "127.0.0.1:0",
    DNSA_HTTP_TOKEN: token,
  });
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  try {
    const deadline = Date.now() + 30_000;
    while (!/"msg":"http listening"[^\n]*\n/.test(log) && Date.now() < deadline) {
      const { done, value } = await reader.read();
      if (done) break;
      log += value;
    }
    const url = /"msg":"http listening"[^\n]*"url":"([^"]+)"/.exec(log)?.[1];
    assert.ok(url, `no listening line in:\n${log}`);
    assert.ok(!log.includes(token), "the token is never logged");
    const open = await fetch(`${url}healthz`);
    assert.equal(open.status, 200);
    await open.body?.cancel();
    const denied = await fetch(`${url}api/health`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const ok = await fetch(`${url}api/health`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    const health = await ok.json();
    assert.equal(health.node, "test");
    assert.equal(health.database, "ok");
    const nodes = await fetch(`${url}api/nodes`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(nodes.status, 200);
    assert.equal((await nodes.json()).nodes[0].node_name, "test");
    assert.ok(!log.includes("reader-secret"), "no password in the log");
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0, log);
    await assert.rejects(fetch(`${url}healthz`), "HTTP stops with serve");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    reader.releaseLock();
    await child.stderr.cancel().catch(() => {});
    await db.drop();
    await Deno.remove(dir, { recursive: true });
    const admin = postgres(Deno.env.get("DNSA_TEST_DATABASE_URL")!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.end({ timeout: 5 });
  }
});
