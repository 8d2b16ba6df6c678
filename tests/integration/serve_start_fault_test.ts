/**
 * serve started while its database takes no writes (a failover to a standby, a database set
 * read-only) waits with backoff instead of exiting, and stores every line once writes are
 * accepted again: only a configuration error ends serve.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestDb, startServe, stderrOf } from "./pg.ts";

const LINES = [
  "06-Dec-2026 10:00:00.000 client @0x1 10.0.0.1#5000 (a.example): query: a.example IN A + (10.0.0.2)",
  "06-Dec-2026 10:00:00.004 client @0x2 10.0.0.3#5001 (b.example): query: b.example IN AAAA +E(0) (10.0.0.2)",
];

/** Wait (at most `ms`) until `check` is true. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

Deno.test({
  name: "serve started on a read-only database waits, then stores every line once",
  async fn() {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-start-fault-" });
    const name = new URL(db.url).pathname.slice(1);
    let child: Deno.ChildProcess | null = null;
    try {
      await Deno.writeTextFile(join(dir, "queries.log"), LINES.join("\n") + "\n");
      await Deno.writeTextFile(join(dir, "query-errors.log"), "");
      // A fresh database that takes no writes: not even the migrations can run.
      await db.sql.unsafe(`alter database ${name} set default_transaction_read_only = on`);
      child = startServe({
        DATABASE_URL: db.url,
        DNSA_NODE: "ro-start",
        DNSA_LOG_TZ: "UTC",
        DNSA_QUERY_LOG: join(dir, "queries.log"),
        DNSA_ERROR_LOG: join(dir, "query-errors.log"),
        DNSA_POLL_MS: "200",
      });
      const status = child.status;
      const exited = await Promise.race([
        status.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 4000)),
      ]);
      assert.equal(exited, false, "serve must not exit while the database is read-only");
      await db.sql.unsafe(`alter database ${name} set default_transaction_read_only = off`);
      const stored = await until(async () => {
        const exists = await db.sql`select to_regclass('dns_queries') is not null as ok`;
        if (!exists[0].ok) return false;
        const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
        return n >= LINES.length;
      }, 60_000);
      assert.ok(stored, "the lines are stored once the database takes writes");
      const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
      assert.equal(n, LINES.length);
      child.kill("SIGTERM");
      const result = await status;
      const stderr = await stderrOf(child);
      child = null;
      assert.equal(result.code, 0, stderr);
      assert.match(stderr, /database fault at start, waiting/);
      assert.match(stderr, /"reason":"read_only"/);
    } finally {
      if (child) {
        child.kill("SIGKILL");
        await child.status;
        await child.stderr.cancel().catch(() => {});
      }
      await Deno.remove(dir, { recursive: true });
      await db.drop();
    }
  },
});
