/**
 * lib/db/pipeline.ts on PostgreSQL: statements sent together run in the order given, the
 * first that fails is the error (not the aborted transaction of those after it), and a
 * prepared statement with parameters is not described again.
 */
import assert from "node:assert/strict";
import { pipelined, PREPARED } from "../../lib/db/pipeline.ts";
import { createTestDb } from "./pg.ts";

Deno.test("pipeline: statements run in order, answers in order, one sent per execute", async () => {
  const db = await createTestDb();
  try {
    await db.sql`create table pipe_log (id serial primary key, v int not null)`;
    const [a, b, c] = await db.sql.begin(async (tx) => {
      return await pipelined([
        tx.unsafe("insert into pipe_log (v) values ($1) returning id", [1], PREPARED),
        null,
        tx.unsafe("insert into pipe_log (v) values ($1) returning id", [2], PREPARED),
        tx<{ n: number }[]>`select count(*)::int as n from pipe_log`,
      ]).then(([x, , y, z]) => [x, y, z] as const);
    });
    assert.ok(a[0].id < b[0].id);
    assert.equal(c[0].n, 2, "the third saw the two before it");
    const rows = await db.sql<{ v: number }[]>`select v from pipe_log order by id`;
    assert.deepEqual(rows.map((r) => r.v), [1, 2]);
  } finally {
    await db.drop();
  }
});

Deno.test("pipeline: the first statement to fail is the error, and nothing of the transaction stays", async () => {
  const db = await createTestDb();
  try {
    await db.sql`create table pipe_keep (v int not null)`;
    await assert.rejects(
      db.sql.begin(async (tx) => {
        await pipelined([
          tx.unsafe("insert into pipe_keep (v) values ($1)", [1], PREPARED),
          tx.unsafe("select 1 / $1::int", [0], PREPARED),
          tx`insert into pipe_keep (v) values (2)`,
          tx`select pg_sleep(0)`,
        ]);
      }),
      (error: { code?: string }) => {
        assert.equal(error.code, "22012", `division_by_zero, not ${error.code}`);
        return true;
      },
    );
    const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from pipe_keep`;
    assert.equal(n, 0);
    // The connection is usable after the failed pipeline.
    const [{ one }] = await db.sql<{ one: number }[]>`select 1 as one`;
    assert.equal(one, 1);
  } finally {
    await db.drop();
  }
});
