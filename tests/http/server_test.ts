/**
 * The HTTP server on the embedded database, in-process: `serve` follows a log directory into
 * which the BIND 9.18 fixture (plus a query for a name built to be HTML) is written after it
 * started, so /metrics is seen rising; after a rollup every endpoint is checked for its shape
 * and numbers, bad parameters, CSV, headers, and token authentication.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { loadConfig } from "../../lib/config.ts";
import { openContext } from "../../lib/context.ts";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { startHttpServer } from "../../lib/http/server.ts";
import { DASHBOARD_ASSETS } from "../../lib/http/dashboard/assets.ts";
import { CSP } from "../../lib/http/respond.ts";
import { rollup } from "../../jobs/rollup.ts";
import { serve } from "../../jobs/serve.ts";
import { declaredNames, parseExposition, sampleValue } from "./exposition.ts";
import { checkRulesFile } from "./rules.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));
const DAY = "2026-11-25";
const RANGE = `from=${DAY}&to=${DAY}`;
const XSS = "<img src=x onerror=alert(1)>.example";
// BIND escapes the space and the parentheses of that name; the stored domain is decoded.
const XSS_LINE = "25-Nov-2026 20:44:00.000 client @0x7fd4ba26d098 127.0.0.66#40000 " +
  "(<img\\032src=x\\032onerror=alert\\(1\\)>.example): query: " +
  "<img\\032src=x\\032onerror=alert\\(1\\)>.example IN A +E(0)K (127.0.0.1)\n";
const TOKEN = "test-token-0123456789abcdef";

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function getJson(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const body = await res.json();
  return { res, body };
}

Deno.test({
  name: "http: serve on the embedded database, every endpoint, metrics, CSV, auth, headers",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "dnsa-http-" });
    const logDir = join(dir, "log");
    await Deno.mkdir(logDir);
    const config = loadConfig({
      env: {
        DNSA_DATA_DIR: join(dir, "data"),
        DNSA_LOG_TZ: "UTC",
        DNSA_NODE: "web1",
        DNSA_HTTP: "127.0.0.1:0",
        DNSA_QUERY_LOG: join(logDir, "queries.log"),
        DNSA_ERROR_LOG: join(logDir, "query-errors.log"),
        DNSA_POLL_MS: "100",
        DNSA_STATS_RETENTION_DAYS: "36500",
      },
    });
    await Deno.writeTextFile(config.queryLog, "");
    await Deno.writeTextFile(config.errorLog, "");
    const log = createLogger({ level: "error" });
    const ctx = await openContext(config, log);
    const stop = new AbortController();
    const metrics = new MetricsRecorder({ source: "querylog" });
    let base = "";
    const serving = serve(ctx, {
      signal: stop.signal,
      schedule: false,
      metrics,
      onListen: (url) => (base = url),
    });
    let tokenServer: Awaited<ReturnType<typeof startHttpServer>> | null = null;
    const stopToken = new AbortController();
    try {
      await waitFor("serve to listen", () => base !== "");
      const expectedRows = truth.expected_queries_log_lines + 1;

      await t.step("metrics parse, and the counters rise after ingest", async () => {
        const before = parseExposition(await (await fetch(`${base}metrics`)).text());
        const writtenAt = Math.floor(Date.now() / 1000);
        assert.equal(sampleValue(before, "dnsa_ingest_rows_total", { node: "web1" }), 0);
        assert.equal(sampleValue(before, "dnsa_database_up"), 1);
        const queries = gunzipSync(await Deno.readFile(join(FIXTURES, "queries.log.gz")));
        await Deno.writeFile(config.queryLog, queries);
        await Deno.writeTextFile(config.queryLog, XSS_LINE, { append: true });
        await Deno.copyFile(join(FIXTURES, "query-errors.log"), config.errorLog);
        await waitFor("the fixture to be stored", () => metrics.ingest.rows >= expectedRows);
        const res = await fetch(`${base}metrics`);
        assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
        const after = parseExposition(await res.text());
        assert.equal(sampleValue(after, "dnsa_ingest_rows_total", { node: "web1" }), expectedRows);
        assert.ok(sampleValue(after, "dnsa_ingest_lines_total", { node: "web1" })! >= expectedRows);
        assert.ok(sampleValue(after, "dnsa_ingest_commit_duration_seconds_count")! >= 1);
        assert.equal(
          sampleValue(after, "dnsa_ingest_commit_duration_seconds_bucket", { le: "+Inf" }),
          sampleValue(after, "dnsa_ingest_commit_duration_seconds_count"),
        );
        const last = sampleValue(after, "dnsa_ingest_last_commit_timestamp_seconds", {
          node: "web1",
        })!;
        // The last commit is the one of the lines written in this step.
        assert.ok(last >= writtenAt && last <= Date.now() / 1000, `last commit ${last}`);
      });

      await t.step("rollup, then job runs appear in /metrics and /api/health", async () => {
        await rollup(ctx, { trigger: "manual" });
        const m = parseExposition(await (await fetch(`${base}metrics`)).text());
        assert.equal(
          sampleValue(m, "dnsa_job_runs_total", { node: "web1", job: "rollup", status: "ok" }),
          1,
        );
        assert.equal(
          sampleValue(m, "dnsa_job_last_run_failed", { node: "web1", job: "rollup" }),
          0,
        );
        assert.ok(sampleValue(m, "dnsa_stats_newest_hour_timestamp_seconds", { node: "web1" }));
        const { res, body } = await getJson(`${base}api/health`);
        assert.equal(res.status, 200);
        assert.equal(body.node, "web1");
        assert.equal(body.source, "querylog");
        assert.equal(body.database, "ok");
        assert.equal(body.ingest.rows, expectedRows);
        assert.equal(body.ingest.rejected, 0);
        assert.equal(body.ingest.behind_bytes, 0);
        assert.equal(body.ingest.lag_seconds, 0);
        assert.match(body.ingest.last_commit_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
        assert.deepEqual(Object.keys(body.jobs[0]).sort(), [
          "error",
          "finished_at",
          "job",
          "rows",
          "started_at",
          "status",
        ]);
        assert.equal(body.jobs[0].job, "rollup");
        assert.equal(body.jobs[0].status, "ok");
      });

      await t.step(
        "reports: every report, its shape, top-domains against the ground truth",
        async () => {
          const names = [
            "top-domains",
            "top-apex-domains",
            "top-clients",
            "qtype-mix",
            "rcode-rates",
            "top-nxdomain",
            "top-servfail",
            "queries-per-hour",
            "new-domains",
            "node-totals",
          ];
          for (const name of names) {
            const { res, body } = await getJson(`${base}api/reports/${name}?${RANGE}`);
            assert.equal(res.status, 200, name);
            assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
            assert.equal(body.report, name);
            assert.equal(body.from, DAY);
            assert.equal(body.to, DAY);
            assert.equal(body.nodes, null);
            assert.equal(body.tz, "UTC");
            assert.ok(Array.isArray(body.columns) && body.columns.length > 0, name);
            // The query log says no NXDOMAIN (BIND 9.18 does not log it): that report is empty.
            if (name === "top-nxdomain") {
              assert.deepEqual(body.rows, []);
              continue;
            }
            assert.ok(body.rows.length > 0, `${name} has rows`);
            assert.deepEqual(Object.keys(body.rows[0]), body.columns, name);
          }
          const { body } = await getJson(`${base}api/reports/top-domains?${RANGE}&limit=5`);
          assert.equal(body.rows.length, 5);
          const sent = truth.client_side.top_50_domains as Record<string, number>;
          assert.equal(body.rows[0].domain, "youtube.com");
          for (const row of body.rows) assert.equal(row.hit_count, sent[row.domain], row.domain);
          const hours = await getJson(`${base}api/reports/queries-per-hour?${RANGE}`);
          for (
            const c of [
              "stat_hour",
              "hit_count",
              "unique_clients",
              "servfail_count",
              "latency_p95_us",
            ]
          ) assert.ok(hours.body.columns.includes(c), c);
          const total = hours.body.rows.reduce(
            (s: number, r: { hit_count: number }) => s + r.hit_count,
            0,
          );
          const nodes = await getJson(`${base}api/reports/node-totals?${RANGE}&node=web1`);
          assert.deepEqual(nodes.body.nodes, ["web1"]);
          assert.equal(nodes.body.rows[0].hit_count, total);
          const other = await getJson(`${base}api/reports/node-totals?${RANGE}&node=elsewhere`);
          assert.deepEqual(other.body.rows, []);
        },
      );

      await t.step("every metric the Prometheus rules name is exported", async () => {
        const exported = declaredNames(await (await fetch(`${base}metrics`)).text());
        const { metrics: named, alerts } = await checkRulesFile();
        assert.ok(alerts.length >= 8, alerts.join(", "));
        for (const name of named) assert.ok(exported.has(name), `${name} is not in /metrics`);
      });

      await t.step("domain, client, nodes", async () => {
        const { res, body } = await getJson(`${base}api/domain?name=YouTube.COM.&${RANGE}`);
        assert.equal(res.status, 200);
        assert.equal(body.domain, "youtube.com");
        assert.equal(body.apex_domain, "youtube.com");
        assert.equal(body.days.length, 1);
        assert.equal(body.days[0].stat_date, DAY);
        assert.equal(body.days[0].hit_count, truth.client_side.top_50_domains["youtube.com"]);
        assert.deepEqual(Object.keys(body.days[0]).sort(), [
          "hit_count",
          "noerror_count",
          "nxdomain_count",
          "other_count",
          "refused_count",
          "servfail_count",
          "stat_date",
          "unique_clients",
          "unknown_count",
        ]);
        const qtypeSum = body.qtypes.reduce(
          (s: number, q: { hit_count: number }) => s + q.hit_count,
          0,
        );
        assert.equal(qtypeSum, body.days[0].hit_count);
        assert.deepEqual(body.nodes, [{ node_name: "web1", hit_count: body.days[0].hit_count }]);
        assert.match(body.first_seen, /^2026-11-25T/);
        assert.match(body.last_seen, /^2026-11-25T/);

        const unknown = await getJson(`${base}api/domain?name=never.example&${RANGE}`);
        assert.equal(unknown.res.status, 200);
        assert.deepEqual(
          [unknown.body.days, unknown.body.qtypes, unknown.body.nodes, unknown.body.first_seen],
          [[], [], [], null],
        );

        const top = await getJson(`${base}api/reports/top-clients?${RANGE}&limit=1`);
        const ip = top.body.rows[0].client_ip;
        const client = await getJson(`${base}api/client?ip=${ip}&${RANGE}`);
        assert.equal(client.res.status, 200);
        assert.equal(client.body.client_ip, ip);
        assert.equal(client.body.days[0].hit_count, top.body.rows[0].hit_count);
        assert.equal(client.body.days[0].unique_clients, undefined);
        assert.deepEqual(client.body.nodes, [{
          node_name: "web1",
          hit_count: top.body.rows[0].hit_count,
        }]);

        const nodes = await getJson(`${base}api/nodes`);
        assert.equal(nodes.body.nodes.length, 1);
        const n = nodes.body.nodes[0];
        assert.deepEqual(Object.keys(n).sort(), [
          "active",
          "added_at",
          "last_commit_at",
          "last_stat_at",
          "location",
          "network",
          "node_ip",
          "node_name",
        ]);
        assert.equal(n.node_name, "web1");
        assert.equal(n.active, true);
        assert.match(n.last_stat_at, /^2026-11-25T20:00:00\.000\+00:00$/);
        assert.ok(n.last_commit_at);
      });

      await t.step("a name made of HTML comes back intact in JSON and CSV", async () => {
        const d = await getJson(`${base}api/domain?name=${encodeURIComponent(XSS)}&${RANGE}`);
        assert.equal(d.body.domain, XSS);
        assert.equal(d.body.days[0].hit_count, 1);
        const raw = await (await fetch(`${base}api/reports/top-domains?${RANGE}&limit=10000`))
          .text();
        assert.ok(raw.includes(JSON.stringify(XSS)), "the name as a JSON string");
        const top = JSON.parse(raw);
        assert.ok(top.rows.some((r: { domain: string }) => r.domain === XSS));
        const csv =
          await (await fetch(`${base}api/reports/top-domains?${RANGE}&limit=10000&format=csv`))
            .text();
        assert.ok(csv.split("\r\n").some((l) => l.startsWith(`${XSS},`)));
      });

      await t.step("bad parameters answer 400 naming the parameter", async () => {
        const cases: [string, RegExp][] = [
          ["api/reports/top-domains?days=0", /^days:/],
          ["api/reports/top-domains?days=36501", /^days:/],
          ["api/reports/top-domains?days=abc", /^days:/],
          ["api/reports/top-domains?from=2026-02-30", /^from:/],
          ["api/reports/top-domains?to=yesterday", /^to:/],
          ["api/reports/top-domains?from=2026-11-26&to=2026-11-25", /^from:/],
          ["api/reports/top-domains?days=3&from=2026-11-25", /^days:/],
          ["api/reports/top-domains?limit=0", /^limit:/],
          ["api/reports/top-domains?limit=10001", /^limit:/],
          ["api/reports/top-domains?node=a%20b", /^node:/],
          ["api/reports/top-domains?format=xml", /^format:/],
          ["api/domain", /^name:/],
          ["api/client?ip=300.1.1.1", /^ip:/],
          ["api/client?ip=example.com", /^ip:/],
          ["api/client", /^ip:/],
        ];
        for (const [path, re] of cases) {
          const { res, body } = await getJson(`${base}${path}`);
          assert.equal(res.status, 400, path);
          assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
          assert.match(body.error, re, path);
        }
        const missing = await getJson(`${base}api/reports/no-such-report`);
        assert.equal(missing.res.status, 404);
        const unknown = await fetch(`${base}nothing-here`);
        assert.equal(unknown.status, 404);
        await unknown.body?.cancel();
        const post = await fetch(`${base}api/nodes`, { method: "POST" });
        assert.equal(post.status, 405);
        await post.body?.cancel();
      });

      await t.step("CSV export", async () => {
        const res = await fetch(`${base}api/reports/top-domains?${RANGE}&limit=3&format=csv`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
        assert.equal(
          res.headers.get("content-disposition"),
          'attachment; filename="top-domains.csv"',
        );
        const lines = (await res.text()).trimEnd().split("\r\n");
        assert.equal(lines.length, 4);
        assert.match(lines[0], /^domain,apex_domain,hit_count,unique_clients,/);
        assert.match(lines[1], /^youtube\.com,youtube\.com,\d+,/);
        for (
          const [path, file, head] of [
            [`api/domain?name=youtube.com&${RANGE}&format=csv`, "domain", "stat_date,hit_count"],
            [`api/client?ip=127.0.0.10&${RANGE}&format=csv`, "client", "stat_date,hit_count"],
            ["api/nodes?format=csv", "nodes", "node_name,node_ip"],
          ]
        ) {
          const r = await fetch(`${base}${path}`);
          assert.equal(r.headers.get("content-disposition"), `attachment; filename="${file}.csv"`);
          const body = await r.text();
          assert.ok(body.startsWith(head), `${path}: ${body.slice(0, 60)}`);
          assert.ok(body.split("\r\n").length >= 3, path);
        }
      });

      await t.step("headers; loopback without a token answers directly", async () => {
        const page = await fetch(base);
        assert.equal(page.status, 200);
        assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(page.headers.get("content-security-policy"), CSP);
        assert.equal(page.headers.get("x-content-type-options"), "nosniff");
        assert.equal(page.headers.get("referrer-policy"), "no-referrer");
        const html = await page.text();
        assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, "no inline script");
        assert.doesNotMatch(html, /<style|\sstyle=/i, "no inline style");
        for (const [path, type] of DASHBOARD_ASSETS) {
          if (path === "/") continue;
          const r = await fetch(new URL(path, base));
          assert.equal(r.status, 200, path);
          assert.equal(r.headers.get("content-type"), type.type, path);
          assert.equal(r.headers.get("x-content-type-options"), "nosniff", path);
          await r.body?.cancel();
        }
        for (const path of ["api/nodes", "metrics", "healthz", "api/reports/top-domains"]) {
          const r = await fetch(`${base}${path}`);
          assert.equal(r.status, 200, path);
          assert.equal(r.headers.get("x-content-type-options"), "nosniff", path);
          assert.equal(r.headers.get("referrer-policy"), "no-referrer", path);
          await r.body?.cancel();
        }
        const healthz = await fetch(`${base}healthz`);
        assert.equal(healthz.headers.get("content-type"), "text/plain; charset=utf-8");
        assert.equal(await healthz.text(), "ok");
        const login = await fetch(`${base}login`, { redirect: "manual" });
        assert.equal(login.status, 303, "no token: /login leads to /");
        await login.body?.cancel();
      });

      await t.step("with a token: 401, bearer, cookie via POST /login, wrong token", async () => {
        tokenServer = await startHttpServer({
          sql: ctx.sql,
          config: { ...config, httpToken: TOKEN },
          metrics,
          log,
          assets: DASHBOARD_ASSETS,
        }, { hostname: "127.0.0.1", port: 0, signal: stopToken.signal });
        const b = tokenServer.url;
        for (const path of ["api/nodes", "api/reports/top-domains", "metrics", "api/health"]) {
          const { res, body } = await getJson(`${b}${path}`);
          assert.equal(res.status, 401, path);
          assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
          assert.match(body.error, /unauthorized/);
        }
        const wrongBearer = await fetch(`${b}api/nodes`, {
          headers: { authorization: `Bearer ${TOKEN}x` },
        });
        assert.equal(wrongBearer.status, 401);
        await wrongBearer.body?.cancel();
        const nav = await fetch(b, { redirect: "manual" });
        assert.equal(nav.status, 303);
        assert.equal(nav.headers.get("location"), "/login");
        await nav.body?.cancel();
        const healthz = await fetch(`${b}healthz`);
        assert.equal(healthz.status, 200, "healthz needs no token");
        await healthz.body?.cancel();
        const css = await fetch(`${b}assets/app.css`);
        assert.equal(css.status, 200, "assets need no token");
        await css.body?.cancel();

        const bearer = await getJson(`${b}api/nodes`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        assert.equal(bearer.res.status, 200);
        assert.equal(bearer.body.nodes[0].node_name, "web1");

        const form = await fetch(`${b}login`);
        assert.equal(form.status, 200);
        assert.equal(form.headers.get("content-security-policy"), CSP);
        const formHtml = await form.text();
        assert.match(formHtml, /<form method="post" action="\/login">/);
        assert.match(formHtml, /name="token"/);

        const wrong = await fetch(`${b}login`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token: "not-it" }),
          redirect: "manual",
        });
        assert.equal(wrong.status, 401);
        assert.equal(wrong.headers.get("set-cookie"), null);
        assert.match(await wrong.text(), /name="token"/);

        const ok = await fetch(`${b}login`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token: TOKEN }),
          redirect: "manual",
        });
        assert.equal(ok.status, 303);
        assert.equal(ok.headers.get("location"), "/");
        const cookie = ok.headers.get("set-cookie")!;
        assert.match(cookie, /^dnsa_token=[^;]+; HttpOnly; SameSite=Strict; Path=\/$/);
        await ok.body?.cancel();
        const pair = cookie.split(";")[0];
        const withCookie = await fetch(b, { headers: { cookie: pair } });
        assert.equal(withCookie.status, 200);
        assert.equal(withCookie.headers.get("content-type"), "text/html; charset=utf-8");
        await withCookie.body?.cancel();
        const apiCookie = await fetch(`${b}api/health`, { headers: { cookie: pair } });
        assert.equal(apiCookie.status, 200);
        await apiCookie.body?.cancel();
        const badCookie = await fetch(`${b}api/health`, { headers: { cookie: "dnsa_token=x" } });
        assert.equal(badCookie.status, 401);
        await badCookie.body?.cancel();
      });
    } finally {
      stopToken.abort();
      stop.abort();
      await serving;
      await (tokenServer as { finished: Promise<void> } | null)?.finished;
      await ctx.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
