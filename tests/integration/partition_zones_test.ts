/**
 * Day partitions carry the bounds of the zone they were made in; a change of DNSA_LOG_TZ (or
 * an `ingest` under another zone) must still store every row, and retention must still drop
 * old partitions whole.
 */
import assert from "node:assert/strict";
import { migrate } from "../../lib/db/migrate.ts";
import { createTestDb, type RunResult } from "./pg.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A query line at `day` (YYYY-MM-DD) and `time` (HH:MM:SS) of the log's zone. */
function line(day: string, time: string, n: number): string {
  const [y, m, d] = day.split("-");
  return `${d}-${MONTHS[Number(m) - 1]}-${y} ${time}.000 client @0x1 10.0.0.1#${5000 + n} ` +
    `(a${n}.example): query: a${n}.example IN A + (10.0.0.2)`;
}

function ok(r: RunResult, what: string): Record<string, unknown> {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r.json ?? {};
}

async function writeLog(dir: string, name: string, lines: string[]): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

async function count(sql: import("postgres").Sql, text: string): Promise<number> {
  const [r] = await sql.unsafe<{ n: number }[]>(text);
  return Number(r.n);
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

const KAMPALA = { DNSA_LOG_TZ: "Africa/Kampala" };

Deno.test("a row in a day whose partition was made under another zone (UTC → Kampala) is stored", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-zones-" });
  try {
    await migrate(db.sql);
    await db.sql`select dnsa_ensure_day_partition('2026-01-02', 'UTC')`;
    const q = await writeLog(dir, "queries.log", [
      "02-Jan-2026 00:30:00.000 client @0x1 10.0.0.1#5000 (a.example): query: a.example IN A + (10.0.0.2)",
    ]);
    const r = ok(await db.run(["ingest", q], KAMPALA), "ingest under Kampala");
    assert.equal(r.rows, 1);
    const [row] = await db.sql<{ at: string }[]>`
      select to_char(queried_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at from dns_queries`;
    assert.equal(row.at, "2026-01-01 21:30");
    // Nothing is stored twice when the file is read again.
    ok(await db.run(["ingest", q], KAMPALA), "ingest again");
    assert.equal(await count(db.sql, "select count(*)::int as n from dns_queries"), 1);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rows of days partitioned under Kampala are stored under UTC, and the reverse again", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-zones-" });
  try {
    const first = await writeLog(dir, "first.log", [
      line("2026-01-02", "00:30:00", 1),
      line("2026-01-02", "23:30:00", 2),
    ]);
    ok(await db.run(["ingest", first], KAMPALA), "Kampala");
    // Under UTC: 02-Jan 22:30 UTC lies after the Kampala day 2 (ends 21:00 UTC), and
    // 03-Jan 00:30 UTC inside the Kampala day 3 partition made above.
    const second = await writeLog(dir, "second.log", [
      line("2026-01-02", "22:30:00", 3),
      line("2026-01-03", "00:30:00", 4),
      line("2026-01-01", "20:00:00", 5),
    ]);
    const r = ok(await db.run(["ingest", second], { DNSA_LOG_TZ: "UTC" }), "UTC");
    assert.equal(r.rows, 3);
    // And back to Kampala, with rows in every part of its day 3.
    const third = await writeLog(dir, "third.log", [
      line("2026-01-03", "00:10:00", 6),
      line("2026-01-03", "02:59:00", 7),
      line("2026-01-03", "23:59:00", 8),
    ]);
    ok(await db.run(["ingest", third], KAMPALA), "Kampala again");
    assert.equal(await count(db.sql, "select count(*)::int as n from dns_queries"), 8);
    // Partitions never overlap (PostgreSQL refuses that) and leave no hole between the
    // first and the last instant stored.
    const parts = await db.sql<{ lo: Date; hi: Date }[]>`
      select lo, hi from dnsa_partition_bounds() order by lo`;
    for (let i = 1; i < parts.length; i++) {
      assert.ok(parts[i].lo.getTime() >= parts[i - 1].hi.getTime(), "no overlap");
    }
    // The rollup sees every row of each Kampala day.
    ok(await db.run(["rollup"], KAMPALA), "rollup");
    const totals = await db.sql<{ d: string; n: number }[]>`
      select stat_date::text as d, sum(hit_count)::int as n from dns_daily_totals
      group by 1 order by 1`;
    const byDay = Object.fromEntries(totals.map((t) => [t.d, t.n]));
    const rows = await db.sql<{ d: string; n: number }[]>`
      select (queried_at at time zone 'Africa/Kampala')::date::text as d, count(*)::int as n
      from dns_queries group by 1 order by 1`;
    assert.deepEqual(byDay, Object.fromEntries(rows.map((t) => [t.d, t.n])));
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retention drops the partitions of either zone once they end before the first kept day", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-zones-" });
  try {
    // Today as retention sees it: in DNSA_LOG_TZ.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Africa/Kampala" })
      .format(new Date());
    const old = addDays(today, -40), recent = addDays(today, -5);
    // Old and recent days first under UTC, then under Kampala (gap partitions).
    ok(
      await db.run(["ingest", await writeLog(dir, "utc.log", [line(old, "12:00:00", 1)])], {
        DNSA_LOG_TZ: "UTC",
      }),
      "UTC",
    );
    ok(
      await db.run(["ingest", await writeLog(dir, "utc2.log", [line(recent, "12:00:00", 2)])], {
        DNSA_LOG_TZ: "UTC",
      }),
      "UTC recent",
    );
    ok(
      await db.run(
        [
          "ingest",
          await writeLog(dir, "kla.log", [line(old, "01:00:00", 3), line(recent, "01:00:00", 4)]),
        ],
        KAMPALA,
      ),
      "Kampala",
    );
    assert.equal(await count(db.sql, "select count(*)::int as n from dns_queries"), 4);
    const gapParts = await count(
      db.sql,
      "select count(*)::int as n from dnsa_partition_bounds() where name like '%\\_%z'",
    );
    assert.ok(gapParts >= 2, "the Kampala rows needed partitions of their own");
    const r = ok(
      await db.run(["retention"], { ...KAMPALA, DNSA_RETENTION_DAYS: "30" }),
      "retention",
    );
    assert.equal(r.status, "ok");
    assert.ok((r.dropped_days as string[]).includes(old));
    // Only the recent rows are left, in partitions that were kept whole.
    const left = await db.sql<{ d: string }[]>`
      select (queried_at at time zone 'UTC')::date::text as d from dns_queries order by 1`;
    assert.deepEqual(left.map((x) => x.d), [addDays(recent, -1), recent]);
    const oldLeft = await count(
      db.sql,
      `select count(*)::int as n from dnsa_partition_bounds()
       where hi <= ('${addDays(today, -30)}'::date::timestamp at time zone 'Africa/Kampala')`,
    );
    assert.equal(oldLeft, 0);
    // Retention made the days ahead in the new zone: ensuring them again adds nothing.
    const before = await count(db.sql, "select count(*)::int as n from dnsa_partition_bounds()");
    for (const d of [today, addDays(today, 1), addDays(today, 2)]) {
      await db.sql`select dnsa_ensure_day_partition(${d}::date, 'Africa/Kampala')`;
    }
    assert.equal(
      await count(db.sql, "select count(*)::int as n from dnsa_partition_bounds()"),
      before,
    );
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a privacy tier rewrites every partition of an old day, those made under another zone too", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-zones-" });
  try {
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Africa/Kampala" })
      .format(new Date());
    const old = addDays(today, -10);
    const tier = {
      DNSA_CLIENT_IP: "truncate",
      DNSA_CLIENT_IP_PREFIX: "24,56",
      DNSA_CLIENT_IP_FULL_DAYS: "1",
    };
    // The day under UTC first; then under Kampala its first hours (before 00:00 UTC) need a
    // partition of their own beside the UTC one.
    ok(
      await db.run(["ingest", await writeLog(dir, "utc.log", [line(old, "12:00:00", 1)])], {
        ...tier,
        DNSA_LOG_TZ: "UTC",
      }),
      "UTC",
    );
    ok(
      await db.run(
        ["ingest", await writeLog(dir, "kla.log", [line(old, "01:00:00", 2)])],
        { ...tier, ...KAMPALA },
      ),
      "Kampala",
    );
    const parts = await db.sql<{ name: string }[]>`
      select name from dnsa_partition_bounds()
      where name like ${"dns_queries_p" + old.replaceAll("-", "") + "%"} order by lo`;
    assert.equal(parts.length, 2, "the day's rows lie in two partitions");
    assert.equal(
      await count(
        db.sql,
        "select count(*)::int as n from dns_queries where host(client_ip) = '10.0.0.1'",
      ),
      2,
      "full addresses at ingest",
    );
    const r = ok(await db.run(["retention"], { ...tier, ...KAMPALA }), "retention");
    assert.equal(r.status, "ok");
    const rows = await db.sql<{ c: string; n: number }[]>`
      select host(client_ip) as c, count(*)::int as n from dns_queries group by 1 order by 1`;
    assert.deepEqual(rows.map((x) => [x.c, x.n]), [["10.0.0.0", 2]]);
    // Both partitions are still there, each with its own bounds, and the day is recorded.
    const after = await db.sql<{ name: string }[]>`
      select name from dnsa_partition_bounds()
      where name like ${"dns_queries_p" + old.replaceAll("-", "") + "%"} order by lo`;
    assert.deepEqual(after.map((p) => p.name), parts.map((p) => p.name));
    assert.equal(
      await count(
        db.sql,
        `select count(*)::int as n from privacy_rewritten_days where day = '${old}'`,
      ),
      1,
    );
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
