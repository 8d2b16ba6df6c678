import assert from "node:assert/strict";
import { migrate } from "../../lib/db/migrate.ts";
import { nodeIdOf } from "../../lib/context.ts";
import { Batch } from "../../lib/ingest/batch.ts";
import { commitBatch, type WriterContext } from "../../lib/ingest/commit.ts";
import { BLOCK_COLUMNS, type BlockSink } from "../../lib/ingest/block_sink.ts";
import { HEADER_BYTES } from "../../lib/db/binary_copy.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import type { QueryLine } from "../../lib/parse/types.ts";
import { createTestDb } from "./pg.ts";

const LINE =
  "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): query: youtube.com IN A +E(0)K (127.0.0.1)";

function batchOf(n: number, startOffset: number): Batch {
  const b = new Batch({ path: "/x/queries.log", fingerprint: "f00d", startOffset });
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
  b.endOffset = startOffset + n * (LINE.length + 1);
  return b;
}

Deno.test("a commit whose acknowledgement was lost is not written twice", async () => {
  const db = await createTestDb();
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    let dropNextAck = true;
    const retries: number[] = [];
    // The real transaction commits; then the client sees the connection drop.
    const flaky = new Proxy(db.sql, {
      get(target, prop, receiver) {
        if (prop !== "begin") return Reflect.get(target, prop, receiver);
        return async (...args: unknown[]) => {
          const result = await (target.begin as (...a: unknown[]) => Promise<unknown>)(...args);
          if (dropNextAck) {
            dropNextAck = false;
            throw Object.assign(new Error("write CONNECTION_CLOSED"), {
              code: "CONNECTION_CLOSED",
            });
          }
          return result;
        };
      },
    });
    const ctx: WriterContext = {
      sql: flaky,
      nodeId,
      tz: "UTC",
      knownDays: new Set(),
      onRetry: ({ attempt }) => retries.push(attempt),
    };
    // The first begin() is the partition creation; drop the ack of the batch itself.
    ctx.knownDays.add(Math.floor(Date.UTC(2026, 10, 25) / 86_400_000));
    await db.sql`select dnsa_ensure_day_partition('2026-11-25', 'UTC')`;
    const outcome = await commitBatch(ctx, batchOf(3, 0));
    assert.equal(outcome, "already-committed", "the retry found the checkpoint and wrote nothing");
    assert.deepEqual(retries, [1]);
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(n, 3);
    const [cp] = await db.sql`select byte_offset::int as o, rows_added::int as r
                               from ingest_checkpoints`;
    assert.deepEqual([cp.o, cp.r], [3 * (LINE.length + 1), 3]);

    // The next batch continues from the checkpoint.
    assert.equal(await commitBatch(ctx, batchOf(2, cp.o)), "committed");
    const [{ m }] = await db.sql`select count(*)::int as m from dns_queries`;
    assert.equal(m, 5);
    // A batch inside the committed range was already written; one beyond it is refused.
    assert.equal(await commitBatch(ctx, batchOf(1, 0)), "already-committed");
    await assert.rejects(commitBatch(ctx, batchOf(1, 5000)), /another dns-analytics process/);
    const [{ k }] = await db.sql`select count(*)::int as k from dns_queries`;
    assert.equal(k, 5);
  } finally {
    await db.drop();
  }
});

Deno.test("a batch PostgreSQL refuses fails with an error instead of hanging", async () => {
  const db = await createTestDb();
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    // The partition of the rows' day is claimed to exist but does not: COPY must fail.
    const ctx: WriterContext = {
      sql: db.sql,
      nodeId,
      tz: "UTC",
      knownDays: new Set([Math.floor(Date.UTC(2026, 10, 25) / 86_400_000)]),
    };
    // A hang would stop the suite: the bound fails the test instead (the rejection, not the
    // time it took, is what is asserted).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("commitBatch hung on the refused COPY")), 120_000);
    });
    try {
      await assert.rejects(
        Promise.race([commitBatch(ctx, batchOf(3, 0)), hung]),
        /COPY failed|does not exist/,
      );
    } finally {
      clearTimeout(timer);
    }
    // The connection came out of the failed COPY usable.
    const [{ one }] = await db.sql`select 1 as one`;
    assert.equal(one, 1);
    const [{ n }] = await db.sql`select count(*)::int as n from ingest_checkpoints`;
    assert.equal(n, 0, "nothing of the batch was committed");
  } finally {
    await db.drop();
  }
});

Deno.test("COPY data the server cannot read (08P01, an ERROR on a live session) is rolled back and retried, not taken for a lost connection", async () => {
  const db = await createTestDb();
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    await db.sql`select dnsa_ensure_day_partition('2026-11-25', 'UTC')`;
    const retries: string[] = [];
    const ctx: WriterContext = {
      sql: db.sql,
      nodeId,
      tz: "UTC",
      knownDays: new Set([Math.floor(Date.UTC(2026, 10, 25) / 86_400_000)]),
      retryForMs: 1500,
      onRetry: ({ error }) => retries.push(String((error as { code?: string }).code)),
    };
    // 20,000 rows in blocks; the first block's client_ip array claims 1,000 elements more than
    // it holds: the server stops at it while the rest of the data is still being sent.
    const b = new Batch({ path: "/x/queries.log", fingerprint: "f00d", startOffset: 0 }, {
      format: "blocks",
    });
    const q = parseBindLine(LINE) as QueryLine;
    for (let i = 0; i < 20_000; i++) {
      b.counts.lines++;
      b.addQuery(q, Math.floor(q.time / 86_400_000), {
        at: q.time + i,
        domain: "youtube.com",
        apex: "youtube.com",
        nodeId: 1,
      });
    }
    b.endOffset = 20_000 * (LINE.length + 1);
    const sink = b.sink as BlockSink;
    const blocks = sink.blocks.bind(sink);
    sink.blocks = () => {
      const data = blocks();
      const buf = data[0];
      const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      let p = HEADER_BYTES + 2;
      const clientIp = BLOCK_COLUMNS.indexOf("client_ip");
      for (let f = 0; f < clientIp; f++) p += 4 + Math.max(0, v.getInt32(p));
      // length word, ndim, has-nulls, element type, then the dimension's length
      v.setInt32(p + 16, v.getInt32(p + 16) + 1000);
      return data;
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("commitBatch hung on the refused COPY")), 60_000);
    });
    try {
      await assert.rejects(
        Promise.race([commitBatch(ctx, b), hung]),
        (e: Error & { code?: string }) => e.code === "08P01",
      );
    } finally {
      clearTimeout(timer);
    }
    assert.ok(retries.length >= 1 && retries.every((c) => c === "08P01"), retries.join());
    // Every connection came out usable: no transaction left open on the server.
    const open = await db.sql`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`;
    assert.equal(open[0].n, 0);
    const [{ n }] = await db.sql`select count(*)::int as n from ingest_checkpoints`;
    assert.equal(n, 0, "nothing of the batch was committed");
  } finally {
    await db.drop();
  }
});
