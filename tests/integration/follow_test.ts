import assert from "node:assert/strict";
import { join } from "node:path";
import { migrate } from "../../lib/db/migrate.ts";
import { nodeIdOf } from "../../lib/context.ts";
import { followQueryLog as follow } from "../../lib/ingest/query_log.ts";
import { createLogger } from "../../lib/log.ts";
import { createRandom, TrafficGenerator } from "../../lib/demo/traffic.ts";
import { createTestDb, type TestDb, waitUntilRead } from "./pg.ts";

const quiet = createLogger({ level: "error", write: () => {} });

/** Numbered query lines: line i asks for q<i>.example.com, so every row says which line. */
function lines(from: number, to: number): string {
  const g = new TrafficGenerator(from);
  let out = "";
  for (let i = from; i < to; i++) {
    out += g.next(Date.UTC(2026, 10, 25, 12, 0, 0, 0) + i).query
      .replace(/\(([^)]*)\): query: (\S+)/, `(q${i}.example.com): query: q${i}.example.com`) + "\n";
  }
  return out;
}

/** Follow `dir`'s queries.log until `expected` rows are stored (or 15 s), then stop. */
async function followUntil(db: TestDb, dir: string, expected: number): Promise<number> {
  const nodeId = await nodeIdOf(db.sql, "test");
  const stop = new AbortController();
  const run = follow({ sql: db.sql, nodeId, tz: "UTC", knownDays: new Set() }, {
    paths: [join(dir, "queries.log")],
    pollMs: 50,
    log: quiet,
    signal: stop.signal,
  });
  const until = Date.now() + 15_000;
  let n = 0;
  while (Date.now() < until) {
    [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    if (n >= expected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await waitUntilRead(db.sql, [join(dir, "queries.log")]); // a late duplicate is stored by now
  stop.abort();
  await run;
  [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
  return n;
}

async function assertEachOnce(db: TestDb, count: number): Promise<void> {
  const [r] = await db.sql`
    select count(*)::int as n, count(distinct domain)::int as d,
           min(substring(split_part(domain, '.', 1) from 2)::int) as lo,
           max(substring(split_part(domain, '.', 1) from 2)::int) as hi
    from dns_queries`;
  assert.equal(r.n, count, "rows");
  assert.equal(r.d, count, "every line once");
  assert.deepEqual([r.lo, r.hi], [0, count - 1]);
}

Deno.test("follow: rename rotation while stopped, copytruncate, a partial line, exactly once", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-follow-" });
  const x = join(dir, "queries.log");
  try {
    await migrate(db.sql);
    // 1. First start: the current file from its start; a partial last line stays pending.
    const partial = lines(100, 101);
    await Deno.writeTextFile(x, lines(0, 100) + partial.slice(0, 30));
    assert.equal(await followUntil(db, dir, 100), 100);
    // 2. While stopped: the line completes, BIND rotates twice (x -> x.0 -> x.1), more lines.
    await Deno.writeTextFile(x, partial.slice(30) + lines(101, 150), { append: true });
    await Deno.rename(x, `${x}.0`);
    await Deno.writeTextFile(x, lines(150, 200));
    await Deno.rename(`${x}.0`, `${x}.1`);
    await Deno.rename(x, `${x}.0`);
    await Deno.writeTextFile(x, lines(200, 250));
    assert.equal(await followUntil(db, dir, 250), 250);
    // 3. copytruncate: lines appended after the last pass are in the copy; x starts over.
    await Deno.writeTextFile(x, lines(250, 280), { append: true });
    await Deno.copyFile(x, `${x}.2`);
    await Deno.truncate(x, 0);
    await Deno.writeTextFile(x, lines(280, 300), { append: true });
    assert.equal(await followUntil(db, dir, 300), 300);
    await assertEachOnce(db, 300);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("follow: a random mix of appends, renames, truncations and partial lines", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-follow-" });
  const x = join(dir, "queries.log");
  const rand = createRandom(Number(Deno.env.get("DNSA_TEST_SEED") ?? 42));
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    const stop = new AbortController();
    const run = follow({ sql: db.sql, nodeId, tz: "UTC", knownDays: new Set() }, {
      paths: [x],
      pollMs: 30,
      log: quiet,
      signal: stop.signal,
    });
    let next = 0, carry = "", versions = 0;
    for (let step = 0; step < 60; step++) {
      const r = rand();
      if (r < 0.6) {
        // Append a few lines, the last one maybe cut in two (the rest comes later).
        const text = carry + lines(next, next += 1 + Math.floor(rand() * 40));
        const cut = rand() < 0.3 ? text.length - Math.floor(rand() * 50) - 1 : text.length;
        await Deno.writeTextFile(x, text.slice(0, cut), { append: true });
        carry = text.slice(cut);
      } else if (r < 0.85) {
        // BIND's rotation (the unfinished line stays in the old file, as named writes whole
        // lines, so finish it first).
        await Deno.writeTextFile(x, carry, { append: true });
        carry = "";
        for (let v = versions; v > 0; v--) await Deno.rename(`${x}.${v - 1}`, `${x}.${v}`);
        await Deno.rename(x, `${x}.0`).catch(() => {});
        versions++;
      } else {
        // copytruncate, with nothing lost between the copy and the truncation.
        await Deno.writeTextFile(x, carry, { append: true });
        carry = "";
        const info = await Deno.stat(x).catch(() => null);
        if (info && info.size > 0) {
          for (let v = versions; v > 0; v--) await Deno.rename(`${x}.${v - 1}`, `${x}.${v}`);
          await Deno.copyFile(x, `${x}.0`);
          await Deno.truncate(x, 0);
          versions++;
        }
      }
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 40)));
    }
    await Deno.writeTextFile(x, carry, { append: true });
    const until = Date.now() + 15_000;
    let n = 0;
    while (Date.now() < until) {
      [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
      if (n >= next) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitUntilRead(db.sql, [x]); // a late duplicate is stored by now
    stop.abort();
    await run;
    await assertEachOnce(db, next);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("follow --from-end: files never read start at their last complete line", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-follow-" });
  const x = join(dir, "queries.log");
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    const half = lines(100, 101);
    await Deno.writeTextFile(x, lines(0, 100) + half.slice(0, 25));
    const stop = new AbortController();
    const run = follow({ sql: db.sql, nodeId, tz: "UTC", knownDays: new Set() }, {
      paths: [x],
      pollMs: 50,
      log: quiet,
      signal: stop.signal,
      fromEnd: true,
    });
    await new Promise((r) => setTimeout(r, 300));
    const [{ before }] = await db.sql`select count(*)::int as before from dns_queries`;
    assert.equal(before, 0, "what was already there is not stored");
    // The line that was being written when serve started is stored once it is complete.
    await Deno.writeTextFile(x, half.slice(25) + lines(101, 150), { append: true });
    const until = Date.now() + 10_000;
    let n = 0;
    while (n < 50 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    }
    stop.abort();
    await run;
    assert.equal(n, 50);
    const [{ lo }] = await db.sql`
      select min(substring(split_part(domain, '.', 1) from 2)::int) as lo from dns_queries`;
    assert.equal(lo, 100);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("follow: a log directory that does not exist yet gets one warning, then is read", async () => {
  const db = await createTestDb();
  const parent = await Deno.makeTempDir({ prefix: "dnsa-follow-" });
  const dir = join(parent, "named");
  const x = join(dir, "queries.log");
  const logged: Record<string, unknown>[] = [];
  const log = createLogger({ write: (line) => logged.push(JSON.parse(line)) });
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    const stop = new AbortController();
    const run = follow({ sql: db.sql, nodeId, tz: "UTC", knownDays: new Set() }, {
      paths: [x],
      pollMs: 50,
      log,
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 400));
    await Deno.mkdir(dir);
    await Deno.writeTextFile(x, lines(0, 20));
    const until = Date.now() + 10_000;
    let n = 0;
    while (n < 20 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    }
    stop.abort();
    await run;
    assert.equal(n, 20);
    const warnings = logged.filter((l) => l.msg === "log directory not readable, retrying");
    assert.equal(warnings.length, 1, "warned once, not on every poll");
    assert.equal(warnings[0].path, x);
    assert.match(String(warnings[0].hint), /directory exists/);
  } finally {
    await db.drop();
    await Deno.remove(parent, { recursive: true });
  }
});
