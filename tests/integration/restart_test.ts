/**
 * `serve` while the real PostgreSQL server is restarted (`pg_ctlcluster … restart`). Needs
 * root and Debian's pg_ctlcluster for the server of DNSA_TEST_DATABASE_URL, as `.ci/run`
 * has; elsewhere the test is reported as ignored. (outage_test.ts covers the same with a
 * proxy and runs everywhere.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RotatingLog, TrafficGenerator } from "../../lib/demo/traffic.ts";
import { createTestDb, startServe, stderrOf, waitUntilRead } from "./pg.ts";

/** `VERSION CLUSTER` of the local cluster on the test server's port, when we may restart it. */
function restartableCluster(): string[] | null {
  try {
    if (Deno.uid() !== 0) return null;
    const url = new URL(Deno.env.get("DNSA_TEST_DATABASE_URL") ?? "");
    if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) return null;
    const out = new Deno.Command("pg_lsclusters", { args: ["-h"] }).outputSync();
    const port = url.port || "5432";
    for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
      const [ver, name, p, status] = line.split(/\s+/);
      if (p === port && status === "online") return [ver, name];
    }
  } catch {
    return null;
  }
  return null;
}

const cluster = restartableCluster();

/** A query that may meet the restart: retried until it works. */
async function count(sql: import("postgres").Sql, table: string): Promise<number> {
  for (let i = 0;; i++) {
    try {
      const [{ n }] = await sql.unsafe(`select count(*)::int as n from ${table}`);
      return n;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

Deno.test({
  name: "serve while PostgreSQL is restarted: every query once, errors joined, clean exit",
  ignore: cluster === null,
  async fn() {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-restart-" });
    const serve = startServe({
      DATABASE_URL: db.url,
      DNSA_LOG_TZ: "UTC",
      DNSA_NODE: "test",
      DNSA_QUERY_LOG: join(dir, "queries.log"),
      DNSA_ERROR_LOG: join(dir, "query-errors.log"),
      DNSA_POLL_MS: "200",
    });
    try {
      const q = new RotatingLog(join(dir, "queries.log"), { versions: 50, size: 256 * 1024 });
      const e = new RotatingLog(join(dir, "query-errors.log"), { versions: 50, size: 64 * 1024 });
      const g = new TrafficGenerator(9);
      let written = 0, errors = 0;
      for (let tick = 0; tick < 80; tick++) {
        if (tick === 20) {
          const r = await new Deno.Command("pg_ctlcluster", {
            args: [...cluster!, "restart", "-m", "fast"],
          }).output();
          assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
        }
        const qs: string[] = [], es: string[] = [];
        for (let i = 0; i < 100; i++, written++) {
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
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        const n = await count(db.sql, "dns_queries");
        const m = await count(db.sql, "dns_query_errors");
        if (n >= written && m >= errors) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await waitUntilRead(db.sql, [join(dir, "queries.log"), join(dir, "query-errors.log")]);
      assert.equal(await count(db.sql, "dns_queries"), written, "every query once");
      assert.equal(await count(db.sql, "dns_query_errors"), errors);
      serve.kill("SIGTERM");
      const status = await serve.status;
      const stderr = await stderrOf(serve);
      assert.equal(status.code, 0, stderr);
    } finally {
      try {
        serve.kill("SIGKILL");
      } catch { /* gone */ }
      // The admin connection may have met the restart too.
      for (let i = 0; i < 50; i++) {
        try {
          await db.drop();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
