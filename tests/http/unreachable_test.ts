/**
 * The HTTP server when its database does not answer (nothing listens on the port it is
 * given): /healthz 503 with the reason, /api/health 200 saying "unreachable", data endpoints
 * 503 JSON, /metrics still served with dnsa_database_up 0 and the errors counted.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { DASHBOARD_ASSETS } from "../../lib/http/dashboard/assets.ts";
import { startHttpServer } from "../../lib/http/server.ts";
import { parseExposition, sampleValue } from "./exposition.ts";

Deno.test("http: a database that does not answer", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (l.addr as Deno.NetAddr).port;
  l.close(); // nothing listens there now: connections are refused at once
  const sql = postgres({ host: "127.0.0.1", port: deadPort, max: 1, connect_timeout: 2 });
  const metrics = new MetricsRecorder({ source: "querylog" });
  const stop = new AbortController();
  const server = await startHttpServer({
    sql,
    config: { node: "n1", logTz: "UTC", source: "querylog", httpToken: null },
    metrics,
    log: createLogger({ level: "error", write: () => {} }),
    assets: DASHBOARD_ASSETS,
  }, { hostname: "127.0.0.1", port: 0, signal: stop.signal });
  try {
    const healthz = await fetch(`${server.url}healthz`);
    assert.equal(healthz.status, 503);
    assert.match(await healthz.text(), /^database unreachable/);
    const health = await fetch(`${server.url}api/health`);
    assert.equal(health.status, 200);
    const body = await health.json();
    assert.equal(body.database, "unreachable");
    assert.deepEqual(body.jobs, []);
    const nodes = await fetch(`${server.url}api/nodes`);
    assert.equal(nodes.status, 503);
    assert.equal(nodes.headers.get("content-type"), "application/json; charset=utf-8");
    assert.match((await nodes.json()).error, /database/);
    const m = await fetch(`${server.url}metrics`);
    assert.equal(m.status, 200);
    const samples = parseExposition(await m.text());
    assert.equal(sampleValue(samples, "dnsa_database_up"), 0);
    assert.ok(sampleValue(samples, "dnsa_database_errors_total")! >= 3);
    assert.equal(sampleValue(samples, "dnsa_http_responses_total", { code: "503" }), 2);
  } finally {
    stop.abort();
    await server.finished;
    await sql.end({ timeout: 1 });
  }
});
