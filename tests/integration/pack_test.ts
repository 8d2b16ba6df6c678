/**
 * Packing closed days (lib/retention_pack.ts): the retention job rebuilds the GIN indexes of
 * each day partition of dns_query_blocks once the day is over, records it, and searches answer
 * as before.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { packClosedDays } from "../../lib/retention_pack.ts";
import { writeBenchLines } from "../bench_lines.ts";
import { createTestDb } from "./pg.ts";

type Sql = Awaited<ReturnType<typeof createTestDb>>["sql"];

/** Bytes of each GIN index of the day partitions of dns_query_blocks, by name. */
async function ginBytes(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql`
    select c.relname as name, pg_relation_size(c.oid)::bigint as b
    from pg_inherits i
    join pg_index x on x.indrelid = i.inhrelid
    join pg_class c on c.oid = x.indexrelid
    join pg_am a on a.oid = c.relam
    where i.inhparent = 'dns_query_blocks'::regclass and a.amname = 'gin'`;
  return new Map(rows.map((r) => [r.name as string, Number(r.b)]));
}

/** Rows found through each summary index: per client, and per apex hash. */
async function searches(sql: Sql) {
  await sql`set enable_seqscan = off`;
  const clients = await sql`
    select c::text as k, (select count(*)::int from dns_query_blocks b where b.clients @> array[c])
      as n
    from (select distinct unnest(clients) as c from dns_query_blocks) s order by 1`;
  const names = await sql`
    select h as k, (select count(*)::int from dns_query_blocks b where b.names @> array[h]) as n
    from (select distinct unnest(names) as h from dns_query_blocks) s order by 1`;
  await sql`reset enable_seqscan`;
  return { clients: [...clients], names: [...names] };
}

Deno.test("retention packs each closed day's GIN indexes once; searches find the same blocks", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa_pack_" });
  try {
    // Enough blocks (50) for the summaries' indexes to outgrow a rebuild, all on 25 Nov.
    const log = `${dir}/queries.log`;
    await writeBenchLines(log, `${dir}/queries.csv`, {
      lines: 200_000,
      startAt: Date.UTC(2026, 10, 25, 1, 0),
    });
    const r = await db.run(["ingest", log]);
    assert.equal(r.code, 0, r.stderr);
    const before = await ginBytes(db.sql);
    // The clients summaries (the apexes have a Bloom filter and no index since migration 0038).
    assert.ok(before.size >= 1, `GIN indexes of the day partitions: ${[...before.keys()]}`);
    const found = await searches(db.sql);

    // 25 Nov ended over an hour before this `now`.
    const now = new Date("2026-11-26T12:00:00Z");
    // A transaction left open in another session holds the rebuild up: past the lock timeout
    // the day is left for the next run, and the invalid index the rebuild began is dropped then.
    const other = postgres(db.url, { max: 1, onnotice: () => {} });
    const waited: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    let opened!: () => void;
    const isOpen = new Promise<void>((r) => opened = r);
    const open = other.begin(async (tx) => {
      await tx`select count(*) from dns_query_blocks`;
      opened();
      await held;
    });
    await isOpen; // the rebuild starts once the transaction holds its lock
    try {
      const none = await packClosedDays(db.sql, {
        concurrent: true,
        now,
        lockTimeout: "300ms",
        onWait: (p) => waited.push(p),
      });
      assert.deepEqual(none, []);
      assert.deepEqual(waited, ["dns_query_blocks_p20261125"]);
    } finally {
      release();
      await open;
      await other.end();
    }
    const packed = await packClosedDays(db.sql, { concurrent: true, now });
    assert.deepEqual(packed, ["dns_query_blocks_p20261125"]);
    const after = await ginBytes(db.sql);
    const total = (m: Map<string, number>, day: string) =>
      [...m].filter(([k]) => k.includes(day)).reduce((s, [, b]) => s + b, 0);
    console.log(
      `GIN bytes of 2026-11-25: ${total(before, "20261125")} before, ` +
        `${total(after, "20261125")} after packing`,
    );
    assert.ok(
      total(after, "20261125") < total(before, "20261125"),
      "the rebuilt indexes are smaller",
    );
    assert.deepEqual(await searches(db.sql), found);
    const [{ invalid }] = await db.sql`
      select count(*)::int as invalid from pg_index where not indisvalid`;
    assert.equal(invalid, 0);

    // Packed once: a second run does nothing; the retention job reports what it packed.
    assert.deepEqual(await packClosedDays(db.sql, { concurrent: true, now }), []);
    const marks = await db.sql`select partition from dns_packed_partitions order by 1`;
    assert.deepEqual(marks.map((m) => m.partition), ["dns_query_blocks_p20261125"]);
    const job = await db.run(["retention"], { DNSA_RETENTION_DAYS: "3650" });
    assert.equal(job.code, 0, job.stderr);
    const [run] = await db.sql`
      select detail from job_runs where job = 'retention' order by started_at desc limit 1`;
    assert.equal(typeof run.detail.packed_partitions, "number", JSON.stringify(run.detail));

    // A dropped partition's mark goes with it.
    await db.sql`select dnsa_drop_partition('dns_queries_p20261125', 'UTC')`;
    await packClosedDays(db.sql, { concurrent: true, now });
    const left = await db.sql`select partition from dns_packed_partitions`;
    assert.ok(!left.some((m) => m.partition === "dns_query_blocks_p20261125"));
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
