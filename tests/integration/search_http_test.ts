/**
 * The search API against real PostgreSQL and the BIND 9.18 fixture: /api/queries pages with
 * the cursor (every row exactly once), CSV of the whole result, the drill-downs, the client
 * names lookup, and the errors of bad parameters.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../lib/config.ts";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { DASHBOARD_ASSETS } from "../../lib/http/dashboard/assets.ts";
import { startHttpServer } from "../../lib/http/server.ts";
import { CLIENT_DETAIL_PATHS } from "../../lib/http/client_detail.ts";
import { createTestDb } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;

Deno.test("search API: pages, CSV, drill-downs, names", async () => {
  const db = await createTestDb();
  const ac = new AbortController();
  let finished: Promise<void> | null = null;
  try {
    const ing = await db.run([
      "ingest",
      join(FIXTURES, "queries.log.gz"),
      join(FIXTURES, "query-errors.log"),
    ]);
    assert.equal(ing.code, 0, ing.stderr);
    await db.sql`insert into dns_client_names (address, name, source)
      values ('127.0.0.14', 'guest-<img src=x onerror=alert(1)>', 'hosts')`;
    const config = loadConfig({
      env: { DATABASE_URL: db.url, DNSA_LOG_TZ: "UTC", DNSA_NODE: "test" },
    });
    const server = await startHttpServer({
      sql: db.sql,
      config,
      metrics: new MetricsRecorder({ source: "querylog" }),
      log: createLogger({ level: "error" }),
      assets: DASHBOARD_ASSETS,
    }, { hostname: "127.0.0.1", port: 0, signal: ac.signal });
    finished = server.finished;
    const get = async (path: string, status = 200) => {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, status, path);
      return await res.json();
    };

    // Paging with the cursor: every row exactly once, newest first.
    const seen = new Map<string, number>();
    let cursor: string | null = null;
    let pages = 0;
    let last = Infinity;
    do {
      const q: string = `api/queries?domain=*.youtube.com&limit=500${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
      }`;
      const page: { rows: Record<string, unknown>[]; next: string | null } = await get(q);
      for (const r of page.rows) {
        const t = Date.parse(String(r.queried_at));
        assert.ok(t <= last, "newest first across pages");
        last = t;
        const k = JSON.stringify(r);
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      cursor = page.next;
      pages++;
    } while (cursor && pages < 1000);
    const [{ n }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from dns_queries
      where domain = 'youtube.com' or domain like '%.youtube.com'`;
    assert.ok(pages > 2);
    assert.equal([...seen.values()].reduce((a, b) => a + b, 0), n);

    // CSV: the whole result, streamed; names beside addresses, formulas neutralised.
    const res = await fetch(`${server.url}api/queries?client=127.0.0.14&format=csv`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
    const lines = (await res.text()).trimEnd().split("\r\n");
    assert.equal(lines.length - 1, 503);
    assert.match(lines[1], /,127\.0\.0\.14,guest-<img src=x onerror=alert\(1\)>,/);

    const page = await get("api/queries?client=127.0.0.14&limit=2");
    assert.equal(page.rows.length, 2);
    assert.equal(page.rows[0].client_name, "guest-<img src=x onerror=alert(1)>");
    // The query log gives no cache flag: the API says so beside the rows, and where to look.
    assert.equal(page.rows[0].cached, null);
    assert.match(page.notes.cached, /server's cache counters: \/api\/reports\/server-cache/);

    // Drill-downs.
    const cd = await get("api/client-domains?client=127.0.0.14&from=2026-11-25&to=2026-11-25");
    assert.deepEqual(cd.rcodes.map((r: Record<string, unknown>) => r.response_rcode), [
      "REFUSED",
    ]);
    assert.ok(cd.domains.length > 0 && cd.qtypes.length > 0);
    assert.equal(cd.coverage.raw_from, "2026-11-25");
    const dc = await get("api/domain-clients?domain=youtube.com&from=2026-11-25&to=2026-11-25");
    assert.ok(dc.clients.length > 1);
    assert.ok(dc.clients[0].hit_count >= dc.clients[1].hit_count);
    const names = await get("api/client-names?q=127.0.0.14");
    assert.equal(names.names[0].name, "guest-<img src=x onerror=alert(1)>");
    assert.equal(names.names[0].shown, true);

    // Errors.
    await get("api/queries?cursor=garbage", 400);
    await get("api/queries?client=1.2.3.4/77", 400);
    await get("api/queries?limit=10001", 400);
    await get("api/client-domains", 400);
    await get("api/domain-clients", 400);
    await get("api/queries?days=2&from=2026-11-25", 400);
    for (const p of CLIENT_DETAIL_PATHS) assert.ok(p.startsWith("/api/"));
  } finally {
    ac.abort();
    await finished;
    await db.drop();
  }
});
