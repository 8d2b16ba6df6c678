import assert from "node:assert/strict";
import { migrate, MigrationError, MIGRATIONS } from "../../lib/db/migrate.ts";
import { createTestDb } from "./pg.ts";

Deno.test("migrations apply once, concurrently, and are recorded with checksums", async () => {
  const db = await createTestDb();
  try {
    const results = await Promise.all([migrate(db.sql), migrate(db.sql), migrate(db.sql)]);
    const applied = results.flatMap((r) => r.applied);
    assert.deepEqual(applied, MIGRATIONS.map((m) => m.name), "each migration applied once");
    const rows = await db.sql`select version, checksum from schema_migrations order by version`;
    assert.equal(rows.length, MIGRATIONS.length);
    assert.match(rows[0].checksum, /^[0-9a-f]{64}$/);
    const again = await migrate(db.sql);
    assert.deepEqual(again.applied, []);
    const [t] = await db.sql`
      select count(*)::int as n from pg_tables
      where tablename in ('dns_query_blocks', 'dns_nodes', 'dns_query_errors', 'ingest_checkpoints',
                          'ingest_rejects')`;
    assert.equal(t.n, 5);
    const [p] = await db.sql`
      select partstrat from pg_partitioned_table where partrelid = 'dns_query_blocks'::regclass`;
    assert.equal(p.partstrat, "r", "the blocks are partitioned by day");
    const [v] = await db.sql`select count(*)::int as n from pg_views
      where schemaname = 'public' and viewname = 'dns_queries'`;
    assert.equal(v.n, 1, "dns_queries is the view of the seed's columns");
  } finally {
    await db.drop();
  }
});

Deno.test("a migration changed after it was applied stops the program", async () => {
  const db = await createTestDb();
  try {
    await migrate(db.sql);
    const changed = MIGRATIONS.map((m, i) => i === 0 ? { ...m, sql: m.sql + "\n-- edited" } : m);
    await assert.rejects(migrate(db.sql, { migrations: changed }), (e: unknown) => {
      assert.ok(e instanceof MigrationError);
      assert.match(e.message, /0001_init\.sql was changed after it was applied/);
      return true;
    });
    const r = await db.run(["migrate"]);
    assert.equal(r.code, 0, r.stderr);
    await db.sql`update schema_migrations set checksum = repeat('0', 64) where version = 1`;
    const bad = await db.run(["migrate"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /was changed after it was applied/);
  } finally {
    await db.drop();
  }
});

Deno.test("database errors name the target without its password", async () => {
  const r = await (await import("./pg.ts")).runProgram(["migrate"], {
    DB_HOST: "127.0.0.1",
    DB_PORT: "1",
    DB_NAME: "nowhere",
    DB_USER: "someone",
    DB_PASSWORD: "hunter2-secret",
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot connect to postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere/);
  assert.ok(!r.stderr.includes("hunter2-secret"));
  assert.ok(!r.stdout.includes("hunter2-secret"));
});
