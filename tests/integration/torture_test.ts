/**
 * The tailer's torture test: a writer with BIND's rename rotation (30 and more), a
 * logrotate-style copytruncate, random pauses and partial writes; `serve` killed -9 three
 * times at random moments and restarted; the database cut away once (a loopback proxy drops
 * every connection and refuses new ones for 2 s, which is what a PostgreSQL restart looks
 * like to the client). Every written line must be stored exactly once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRandom, RotatingLog, TrafficGenerator } from "../../lib/demo/traffic.ts";
import { createTestDb, startProxy, startServe, viaProxy, waitUntilRead } from "./pg.ts";

const TOTAL = 50_000;

Deno.test("torture: rotations, copytruncate, kill -9 three times, a database outage", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-torture-" });
  const rand = createRandom(Number(Deno.env.get("DNSA_TEST_SEED") ?? 7));
  const u = new URL(db.url);
  const proxy = startProxy({ hostname: u.hostname, port: Number(u.port || 5432) });
  const env = {
    DATABASE_URL: viaProxy(db.url, proxy),
    DNSA_LOG_TZ: "UTC",
    DNSA_NODE: "test",
    DNSA_QUERY_LOG: join(dir, "queries.log"),
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
    DNSA_POLL_MS: "100",
  };
  const start = () => startServe(env, { stderr: "null" });
  let serve = start();
  const x = join(dir, "queries.log");
  // versions 200: nothing is deleted, whatever the backlog (exactly-once is tested here, not
  // the rotation horizon; BIND deletes what is older, and serve warns before that).
  const q = new RotatingLog(x, { versions: 200, size: 96 * 1024 });
  const e = new RotatingLog(join(dir, "query-errors.log"), { versions: 200, size: 16 * 1024 });
  const g = new TrafficGenerator(11);
  const kills = new Set([Math.floor(rand() * 30) + 10, Math.floor(rand() * 30) + 50, 110]);
  let written = 0, errors = 0, rotations = 0, copytruncated = false, killed = 0, step = 0;
  try {
    while (written < TOTAL) {
      step++;
      const n = Math.min(TOTAL - written, 200 + Math.floor(rand() * 400));
      const qs: string[] = [], es: string[] = [];
      for (let i = 0; i < n; i++, written++) {
        const s = g.next(Date.now());
        qs.push(s.query);
        if (s.error) es.push(s.error);
      }
      const before = await Deno.stat(x).then((i) => i.ino).catch(() => null);
      await q.write(qs);
      await e.write(es);
      errors += es.length;
      const after = await Deno.stat(x).then((i) => i.ino).catch(() => null);
      if (before !== null && after !== before) rotations++;
      if (step === 70 && !copytruncated) {
        // logrotate copytruncate: copy to a dated name, truncate in place (the writer's fd
        // is O_APPEND, so it goes on at 0), nothing written between the two.
        await Deno.copyFile(x, `${x}-20261125`);
        await Deno.truncate(x, 0);
        copytruncated = true;
      }
      if (kills.has(step)) {
        serve.kill("SIGKILL");
        await serve.status;
        killed++;
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 300)));
        serve = start();
      }
      if (step === 40) proxy.cut();
      if (step === 60) proxy.restore();
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 60)));
    }
    q.close();
    e.close();
    if (killed < 3) {
      serve.kill("SIGKILL");
      await serve.status;
      killed++;
      serve = start();
    }
    const until = Date.now() + 90_000;
    let n = 0;
    while (Date.now() < until) {
      [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
      const [{ m }] = await db.sql`select count(*)::int as m from dns_query_errors`;
      if (n >= written && m >= errors) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitUntilRead(db.sql, [x, join(dir, "query-errors.log")]); // a duplicate is stored by now
    const [r] = await db.sql`
      select count(*)::int as n, count(distinct (queried_at, client_ip, client_port, domain,
        qtype, flags))::int as d
      from dns_queries`;
    assert.ok(rotations >= 30, `only ${rotations} rotations`);
    assert.ok(copytruncated);
    assert.equal(killed, 3);
    assert.equal(r.n, written, "every written line stored exactly once");
    const [x2] = await db.sql`
      select count(*)::int as n, count(*) filter (where matched_query_at is null)::int as o
      from dns_query_errors`;
    assert.deepEqual([x2.n, x2.o], [errors, 0]);
    assert.ok(r.d >= r.n - 50, "rows are distinct queries, not repeated batches");
  } finally {
    try {
      serve.kill("SIGKILL");
      await serve.status;
    } catch { /* gone */ }
    proxy.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
