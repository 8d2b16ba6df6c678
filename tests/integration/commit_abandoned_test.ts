/**
 * A batch's transaction whose connection closes while the batch waits for the one before it:
 * postgres.js gives the transaction up at once, but its callback runs on when the wait ends,
 * and what it would send then goes to the next session of the same connection object —
 * here another batch's transaction. The abandoned commit must send nothing: the other batch
 * commits whole, and the abandoned one is stored by its retry, once.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { migrate } from "../../lib/db/migrate.ts";
import { guardCopyWriteRace } from "../../lib/db/connect.ts";
import { nodeIdOf } from "../../lib/context.ts";
import { Batch } from "../../lib/ingest/batch.ts";
import { commitBatch, type WriterContext } from "../../lib/ingest/commit.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import type { QueryLine } from "../../lib/parse/types.ts";
import { createTestDb, startProxy, viaProxy } from "./pg.ts";

const LINE =
  "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): query: youtube.com IN A +E(0)K (127.0.0.1)";

function batchOf(fingerprint: string, n: number): Batch {
  const b = new Batch({ path: `/x/${fingerprint}.log`, fingerprint, startOffset: 0 });
  const q = parseBindLine(LINE) as QueryLine;
  for (let i = 0; i < n; i++) {
    b.counts.lines++;
    b.addQuery(q, Math.floor(q.time / 86_400_000), {
      at: q.time,
      domain: "youtube.com",
      apex: "youtube.com",
      nodeId: 1,
    });
  }
  b.endOffset = n * (LINE.length + 1);
  return b;
}

/** A stand-in for "the batch before": `reached` resolves once the commit waits for it. */
function gate() {
  let open!: () => void, reachedResolve!: () => void;
  const opened = new Promise<void>((r) => open = r);
  const reached = new Promise<void>((r) => reachedResolve = r);
  const after = {
    catch(f: (e: unknown) => unknown) {
      reachedResolve();
      return opened.catch(f);
    },
  } as unknown as Promise<unknown>;
  return { after, reached, open };
}

Deno.test("a commit abandoned on a closed connection sends nothing into the next transaction", async () => {
  const unguard = guardCopyWriteRace(() => {});
  const db = await createTestDb();
  const u = new URL(db.url);
  const proxy = startProxy({ hostname: u.hostname, port: Number(u.port || 5432) });
  // One connection: the retry and the other batch reuse the abandoned transaction's.
  const sql = postgres(viaProxy(db.url, proxy), { max: 1, onnotice: () => {} });
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    await db.sql`select dnsa_ensure_day_partition('2026-11-25', 'UTC')`;
    const ctx = (retryForMs: number): WriterContext => ({
      sql,
      nodeId,
      tz: "UTC",
      knownDays: new Set([Math.floor(Date.UTC(2026, 10, 25) / 86_400_000)]),
      retryForMs,
    });
    const a = batchOf("fa", 3), b = batchOf("fb", 2);

    // Batch a sends its rows and waits for its predecessor; its connection is cut.
    const gateA = gate();
    const first = commitBatch(ctx(0), a, { after: gateA.after });
    await gateA.reached;
    proxy.cut();
    await assert.rejects(first, "the commit fails with its connection (no retries asked)");
    proxy.restore();

    // Batch b's transaction opens on the same connection object and waits too.
    const gateB = gate();
    const other = commitBatch(ctx(0), b, { after: gateB.after });
    await gateB.reached;
    // Batch a's wait ends: an abandoned callback that went on would lock, settle, write a's
    // checkpoint and COMMIT inside b's transaction. A moment for it to do so, if it does.
    gateA.open();
    await new Promise((r) => setTimeout(r, 300));
    gateB.open();
    assert.equal(await other, "committed");

    // a's retry stores it: nothing of a was written by the abandoned callback.
    assert.equal(await commitBatch(ctx(60_000), a), "committed");
    const rows = await db.sql<{ fingerprint: string; rows: number; n: number }[]>`
      select c.fingerprint, c.rows_added::int as rows,
        (select count(*)::int from dns_queries) as n
      from ingest_checkpoints c order by c.fingerprint`;
    assert.deepEqual(
      rows.map((r) => [r.fingerprint, r.rows]),
      [["fa", 3], ["fb", 2]],
    );
    assert.equal(rows[0].n, 5, "each batch's rows once");
  } finally {
    await sql.end({ timeout: 5 });
    proxy.close();
    await db.drop();
    unguard();
  }
});

Deno.test("a commit whose connection closes during a statement leaves the connection usable", async () => {
  const unguard = guardCopyWriteRace(() => {});
  const db = await createTestDb();
  const u = new URL(db.url);
  const proxy = startProxy({ hostname: u.hostname, port: Number(u.port || 5432) });
  const sql = postgres(viaProxy(db.url, proxy), {
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    await db.sql`select dnsa_ensure_day_partition('2026-11-25', 'UTC')`;
    const ctx: WriterContext = {
      sql,
      nodeId,
      tz: "UTC",
      knownDays: new Set([Math.floor(Date.UTC(2026, 10, 25) / 86_400_000)]),
      retryForMs: 0, // one attempt: a failure is the test's
    };
    // The node's write lock held elsewhere: batch a's transaction waits for it on the server.
    const holder = await db.sql.reserve();
    await holder`begin`;
    await holder`select pg_advisory_xact_lock(424312, ${nodeId})`;
    const first = commitBatch(ctx, batchOf("fa", 3));
    first.catch(() => {});
    const until = Date.now() + 30_000;
    for (;;) {
      const [w] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock%'`;
      if (w.n > 0) break;
      assert.ok(Date.now() < until, "batch a never waited for the lock");
      await new Promise((r) => setTimeout(r, 50));
    }
    proxy.cut();
    await assert.rejects(first);
    proxy.restore();
    await holder`rollback`;
    holder.release();
    // The same connection object takes the next batch at once: nothing stale was written to
    // it while it was closed (its start-up message would never go out, and connect time out).
    assert.equal(await commitBatch(ctx, batchOf("fb", 2)), "committed");
    assert.equal(await commitBatch(ctx, batchOf("fa", 3)), "committed");
    const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from dns_queries`;
    assert.equal(n, 5);
  } finally {
    await sql.end({ timeout: 5 });
    proxy.close();
    await db.drop();
    unguard();
  }
});
