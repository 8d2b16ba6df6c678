import assert from "node:assert/strict";
import { join } from "node:path";
import { RotatingLog, TrafficGenerator } from "../../lib/demo/traffic.ts";
import { createTestDb, startProxy, startServe, stderrOf, viaProxy, waitUntilRead } from "./pg.ts";

Deno.test("serve through a database outage: reading pauses, nothing lost or stored twice", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-outage-" });
  const u = new URL(db.url);
  const proxy = startProxy({ hostname: u.hostname, port: Number(u.port || 5432) });
  const serve = startServe({
    DATABASE_URL: viaProxy(db.url, proxy),
    DNSA_LOG_TZ: "UTC",
    DNSA_NODE: "test",
    DNSA_QUERY_LOG: join(dir, "queries.log"),
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
    DNSA_POLL_MS: "200",
  });
  try {
    const q = new RotatingLog(join(dir, "queries.log"), { versions: 7, size: 1 << 20 });
    const e = new RotatingLog(join(dir, "query-errors.log"), { versions: 4, size: 1 << 18 });
    const g = new TrafficGenerator(7);
    let written = 0, errors = 0;
    for (let tick = 0; tick < 100; tick++) {
      if (tick === 25) proxy.cut(); // the database goes away for about 2.5 s
      if (tick === 50) proxy.restore();
      const qs: string[] = [], es: string[] = [];
      for (let i = 0; i < 100; i++, written++) {
        const s = g.next(Date.now());
        qs.push(s.query);
        if (s.error) es.push(s.error);
      }
      await q.write(qs);
      await e.write(es);
      errors += es.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    q.close();
    e.close();
    const until = Date.now() + 60_000;
    let n = 0;
    while (Date.now() < until) {
      [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
      const [{ m }] = await db.sql`select count(*)::int as m from dns_query_errors`;
      if (n >= written && m >= errors) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitUntilRead(db.sql, [join(dir, "queries.log"), join(dir, "query-errors.log")]);
    [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(n, written, "every query once");
    const [x] = await db.sql`
      select count(*)::int as n, count(*) filter (where matched_query_at is null)::int as o
      from dns_query_errors`;
    assert.deepEqual([x.n, x.o], [errors, 0]);
    serve.kill("SIGTERM");
    const status = await serve.status;
    const stderr = await stderrOf(serve);
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /database unavailable/, "the outage was seen and retried");
  } finally {
    try {
      serve.kill("SIGKILL");
    } catch { /* already gone */ }
    proxy.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
