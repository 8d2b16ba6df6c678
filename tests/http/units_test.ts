/**
 * The pure parts of the HTTP server: range parameters, loopback detection, token comparison
 * and cookies, HTML escaping of the login page, and the exposition format.
 */
import assert from "node:assert/strict";
import { ConfigError, isLoopbackHost, loadConfig } from "../../lib/config.ts";
import { cookieValue, escapeHtml, loginPage, tokenEquals } from "../../lib/http/auth.ts";
import { parseRangeParams } from "../../lib/http/params.ts";
import { normalizeDomain } from "../../lib/http/api.ts";
import { createHandler } from "../../lib/http/router.ts";
import type { Sql } from "../../lib/db/connect.ts";
import { createLogger } from "../../lib/log.ts";
import { formatExposition, MetricsRecorder, recorderFamilies } from "../../lib/metrics.ts";
import { parseExposition, sampleValue } from "./exposition.ts";

const NOW = new Date("2026-11-25T22:30:00Z");
const parse = (q: string, tz = "UTC") => parseRangeParams(new URLSearchParams(q), { tz, now: NOW });

Deno.test("range parameters: defaults, days, from/to, nodes, limit, format", () => {
  assert.deepEqual(parse(""), {
    ok: true,
    value: { from: "2026-11-19", to: "2026-11-25", nodes: null, limit: undefined, format: "json" },
  });
  const days = parse("days=1");
  assert.ok(days.ok && days.value.from === "2026-11-25" && days.value.to === "2026-11-25");
  // 22:30 UTC is already the next day in Kampala (UTC+3).
  const tz = parse("days=1", "Africa/Kampala");
  assert.ok(tz.ok && tz.value.from === "2026-11-26");
  const both = parse("from=2026-11-01&to=2026-11-30&node=dns1,%20dns2&limit=50&format=csv");
  assert.deepEqual(both, {
    ok: true,
    value: {
      from: "2026-11-01",
      to: "2026-11-30",
      nodes: ["dns1", "dns2"],
      limit: 50,
      format: "csv",
    },
  });
  const onlyFrom = parse("from=2026-11-20");
  assert.ok(onlyFrom.ok && onlyFrom.value.to === "2026-11-25");
  const onlyTo = parse("to=2026-11-10");
  assert.ok(onlyTo.ok && onlyTo.value.from === "2026-11-04");
  for (
    const [q, param] of [
      ["days=0", "days"],
      ["days=1.5", "days"],
      ["days=-1", "days"],
      ["days=36501", "days"],
      ["from=2026-13-01", "from"],
      ["from=2026-11-31", "from"],
      ["to=20261101", "to"],
      ["from=2026-11-02&to=2026-11-01", "from"],
      ["days=2&to=2026-11-01", "days"],
      ["limit=10001", "limit"],
      ["limit=x", "limit"],
      ["node=dns1,bad%3Cname", "node"],
      ["format=html", "format"],
    ]
  ) {
    const r = parse(q);
    assert.equal(r.ok, false, q);
    if (!r.ok) {
      assert.equal(r.param, param, q);
      assert.ok(r.message.startsWith(`${param}:`), r.message);
    }
  }
});

Deno.test("domain names are looked up as stored: ASCII lower case, no trailing dot", () => {
  assert.equal(normalizeDomain(" WWW.Example.COM. "), "www.example.com");
  assert.equal(normalizeDomain("."), ".");
  assert.equal(normalizeDomain("Éx.example"), "Éx.example");
});

Deno.test("loopback hosts; a non-loopback DNSA_HTTP without a token is refused", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (
    const h of ["0.0.0.0", "::", "192.168.238.2", "128.0.0.1", "localhost.example", "1.127.0.0"]
  ) {
    assert.ok(!isLoopbackHost(h), h);
  }
  assert.throws(
    () => loadConfig({ env: { DNSA_HTTP: "0.0.0.0:8053" } }),
    (e: Error) => e instanceof ConfigError && /DNSA_HTTP_TOKEN/.test(e.message),
  );
  assert.throws(() => loadConfig({ env: { DNSA_HTTP: "[::]:8053" } }), /DNSA_HTTP_TOKEN/);
  const c = loadConfig({
    env: { DNSA_HTTP: "192.168.238.2:8053", DNSA_HTTP_TOKEN: "s3cret-0123456789" },
  });
  assert.deepEqual(c.http, { host: "192.168.238.2", port: 8053 });
  assert.equal(loadConfig({ env: { DNSA_HTTP: "[::1]:0" } }).http.port, 0);
});

Deno.test("tokens compare whole; cookies are found by name", () => {
  assert.ok(tokenEquals("abc", "abc"));
  assert.ok(!tokenEquals("abc", "abd"));
  assert.ok(!tokenEquals("ab", "abc"));
  assert.ok(!tokenEquals("", "abc"));
  assert.equal(cookieValue("a=1; dnsa_token=x%20y; b=2", "dnsa_token"), "x y");
  assert.equal(cookieValue("xdnsa_token=1", "dnsa_token"), null);
  assert.equal(cookieValue(null, "dnsa_token"), null);
});

Deno.test("the login page escapes what it shows and has no inline script or style", () => {
  assert.equal(
    escapeHtml(`<img src=x onerror="alert(1)">&'`),
    "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;",
  );
  const page = loginPage({ node: "<b>n</b>", failed: true });
  assert.ok(page.includes("&lt;b&gt;n&lt;/b&gt;"));
  assert.ok(!page.includes("<b>"));
  assert.doesNotMatch(page, /<script|<style|\sstyle=|\son\w+=/i);
  assert.match(page, /<input id="token" name="token" type="password"/);
});

Deno.test("exposition: HELP and TYPE per family, escaped labels, a cumulative histogram", () => {
  const m = new MetricsRecorder({ source: "querylog", now: 1_000_000 });
  m.observeCommit(0.003);
  m.observeCommit(0.2);
  m.observeCommit(99);
  m.countDatabaseError();
  m.ingest.reasons = { 'bad "line"\\\n': 2 };
  m.ingest.behind = { "/l/queries.log": 10, "/l/queries.log.0": 5, "/l/query-errors.log": 0 };
  const text = formatExposition(recorderFamilies(m, { node: "dns1" }));
  const samples = parseExposition(text);
  assert.equal(
    sampleValue(samples, "dnsa_ingest_rejected_by_reason_total", { reason: 'bad "line"\\\n' }),
    2,
  );
  const b = (le: string) =>
    sampleValue(samples, "dnsa_ingest_commit_duration_seconds_bucket", { le });
  assert.deepEqual([b("0.005"), b("0.25"), b("30"), b("+Inf")], [1, 2, 2, 3]);
  assert.equal(sampleValue(samples, "dnsa_ingest_commit_duration_seconds_count"), 3);
  assert.equal(sampleValue(samples, "dnsa_database_errors_total"), 1);
  assert.equal(sampleValue(samples, "dnsa_ingest_behind_bytes"), 15);
  assert.equal(sampleValue(samples, "dnsa_ingest_behind_files", { set: "/l/queries.log" }), 2);
  assert.equal(sampleValue(samples, "dnsa_ingest_last_commit_timestamp_seconds"), 1000);
  assert.throws(() => parseExposition("dnsa_x 1 2\n"), /bad sample line/);
  assert.throws(() => parseExposition("dnsa_x{a=1} 1\n"), /bad/);
});

Deno.test("without a token, a Host that is not loopback is refused (DNS rebinding)", async () => {
  const handler = createHandler({
    // Never reached: the Host check comes first.
    sql: null as unknown as Sql,
    config: { node: "n1", logTz: "UTC", source: "querylog", httpToken: null },
    metrics: new MetricsRecorder({ source: "querylog" }),
    log: createLogger({ level: "error", write: () => {} }),
    assets: new Map([["/", { type: "text/html; charset=utf-8", body: "<p>x</p>" }]]),
  });
  const evil = await handler(new Request("http://rebind.attacker.example:8053/api/nodes"));
  assert.equal(evil.status, 421);
  assert.equal(evil.headers.get("x-content-type-options"), "nosniff");
  await evil.body?.cancel();
  for (const host of ["127.0.0.1:8053", "localhost:8053", "[::1]:8053"]) {
    const ok = await handler(new Request(`http://${host}/`));
    assert.equal(ok.status, 200, host);
    assert.match(ok.headers.get("content-security-policy")!, /default-src 'none'/);
    await ok.body?.cancel();
  }
});
