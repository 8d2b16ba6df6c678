import assert from "node:assert/strict";
import { join } from "node:path";
import { RotatingLog, TrafficGenerator } from "../../lib/demo/traffic.ts";
import { createTestDb, startServe, stderrOf } from "./pg.ts";

/** Write `n` queries at about `rate`/s through BIND-style rotation; returns the error lines. */
async function writeTraffic(dir: string, n: number, rate: number, seed: number) {
  const q = new RotatingLog(join(dir, "queries.log"), { versions: 7, size: 256 * 1024 });
  const e = new RotatingLog(join(dir, "query-errors.log"), { versions: 4, size: 32 * 1024 });
  const g = new TrafficGenerator(seed);
  let errors = 0;
  for (let written = 0; written < n;) {
    const qs: string[] = [], es: string[] = [];
    for (let i = 0; i < rate / 20 && written < n; i++, written++) {
      const s = g.next(Date.now());
      qs.push(s.query);
      if (s.error) es.push(s.error);
    }
    await q.write(qs);
    await e.write(es);
    errors += es.length;
    await new Promise((r) => setTimeout(r, 50));
  }
  q.close();
  e.close();
  return errors;
}

/** Wait until `n` rows and `e` query-errors lines are stored (or `ms` passed); the rows. */
async function waitForRows(
  db: { sql: import("postgres").Sql },
  target: { n: number; e: number },
  ms: number,
) {
  const until = Date.now() + ms;
  for (;;) {
    const [{ c }] = await db.sql`select count(*)::int as c from dns_queries`;
    const [{ m }] = await db.sql`select count(*)::int as m from dns_query_errors`;
    if ((c >= target.n && m >= target.e) || Date.now() > until) return c;
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test("serve: every query once through rotations, kill -9 and restart, SIGTERM", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-serve-" });
  const env = {
    DATABASE_URL: db.url,
    DNSA_LOG_TZ: "UTC",
    DNSA_NODE: "test",
    DNSA_QUERY_LOG: join(dir, "queries.log"),
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
    DNSA_POLL_MS: "200",
  };
  try {
    // The log files do not exist yet when serve starts.
    let serve = startServe(env);
    const first = await writeTraffic(dir, 6000, 3000, 1);
    // kill -9 at some moment; what was committed stays, the rest is read after restart.
    serve.kill("SIGKILL");
    await serve.status;
    await serve.stderr.cancel();
    const second = writeTraffic(dir, 6000, 3000, 2); // written while serve is down, then up
    await new Promise((r) => setTimeout(r, 700));
    serve = startServe(env);
    const errors = first + await second;
    const rows = await waitForRows(db, { n: 12000, e: errors }, 20_000);
    assert.equal(rows, 12000, "each query stored exactly once");
    serve.kill("SIGTERM");
    const status = await serve.status;
    const stderr = await stderrOf(serve);
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /serve stopped/);
    const [e] = await db.sql`
      select count(*)::int as n,
             count(*) filter (where matched_query_at is null)::int as orphans
      from dns_query_errors`;
    assert.equal(e.n, errors);
    assert.equal(e.orphans, 0, "every query-errors line joined to its query");
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
