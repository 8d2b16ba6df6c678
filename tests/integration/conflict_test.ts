/**
 * Two processes reading the same log file for one node (an `ingest` run on the files `serve`
 * follows): their batches race for the file's checkpoint. The one that loses continues from
 * the checkpoint the other committed; neither fails, and every line is stored once. Query logs
 * and dnstap files go through the same pipeline (lib/tail/pipeline.ts), so dnstap files too.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { nodeIdOf } from "../../lib/context.ts";
import { migrate } from "../../lib/db/migrate.ts";
import type { WriterContext } from "../../lib/ingest/commit.ts";
import { ingestLogFiles } from "../../lib/ingest/query_log.ts";
import { dnstapFingerprint, ingestDnstapFiles } from "../../lib/dnstap/file.ts";
import { fixtureBytes, NO_XZ } from "../dnstap/fixture_frames.ts";
import { createLogger } from "../../lib/log.ts";
import { NO_DELAY_OPTIONS } from "../../lib/db/socket.ts";
import { createTestDb, startServe, stderrOf, type TestDb } from "./pg.ts";

function lines(from: number, n: number): string {
  let text = "";
  for (let i = from; i < from + n; i++) {
    text += `25-Nov-2026 20:${String(Math.floor(i / 6000) % 60).padStart(2, "0")}:` +
      `${String(Math.floor(i / 100) % 60).padStart(2, "0")}.000 client @0x1 10.0.${
        (i >> 8) & 255
      }.` +
      `${i & 255}#${1024 + (i % 60000)} (d${i}.example): query: d${i}.example IN A + (10.0.0.2)\n`;
  }
  return text;
}

Deno.test("two readers of one file for one node: the slower continues from the other's checkpoint", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-conflict-" });
  const clients: postgres.Sql[] = [];
  try {
    await migrate(db.sql);
    const nodeId = await nodeIdOf(db.sql, "test");
    const path = join(dir, "queries.log");
    await Deno.writeTextFile(path, lines(0, 20_000));
    const logged: string[] = [];
    const log = createLogger({ write: (l) => logged.push(l) });
    const writer = (copy: boolean): WriterContext => {
      const sql = postgres(db.url, { max: 4, onnotice: () => {}, ...NO_DELAY_OPTIONS });
      clients.push(sql);
      return { sql, nodeId, tz: "UTC", knownDays: new Set(), copy };
    };
    // Batches of different sizes (COPY and INSERT batches are cut at different read blocks)
    // on separate pools: their commits interleave and their boundaries differ, so a batch
    // often starts where no checkpoint is.
    const runs = await Promise.all([
      ingestLogFiles(writer(false), [path], { log, batchRows: 300 }),
      ingestLogFiles(writer(true), [path], { log, batchRows: 1000 }),
      ingestLogFiles(writer(false), [path], { log, batchRows: 700 }),
    ]);
    for (const r of runs) assert.equal(r.failedFiles, 0);
    const [c] = await db.sql<{ n: number; d: number }[]>`
      select count(*)::int as n, count(distinct domain)::int as d from dns_queries`;
    assert.deepEqual([c.n, c.d], [20_000, 20_000]);
    // What each run committed adds up to the file.
    assert.equal(runs.reduce((s, r) => s + r.rows, 0), 20_000);
    const [cp] = await db.sql<
      { o: string }[]
    >`select byte_offset::text as o from ingest_checkpoints`;
    assert.equal(Number(cp.o), (await Deno.stat(path)).size);
  } finally {
    await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest on the file serve follows: both go on, every line stored once", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-conflict-" });
  const path = join(dir, "queries.log");
  await Deno.writeTextFile(path, lines(0, 30_000));
  const env = {
    DATABASE_URL: db.url,
    DNSA_NODE: "test",
    DNSA_LOG_TZ: "UTC",
    DNSA_QUERY_LOG: path,
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
    DNSA_POLL_MS: "100",
  };
  const serve = startServe(env);
  try {
    let written = 30_000;
    for (let round = 0; round < 3; round++) {
      await Deno.writeTextFile(path, lines(written, 20_000), { append: true });
      written += 20_000;
      const r = await db.run(["ingest", path], env);
      assert.equal(r.code, 0, r.stderr);
    }
    const size = (await Deno.stat(path)).size;
    const end = Date.now() + 60_000;
    let n = 0;
    while (Date.now() < end) {
      const [cp] = await db.sql<{ o: string | null }[]>`
        select max(byte_offset)::text as o from ingest_checkpoints`;
      if (Number(cp.o ?? 0) === size) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [c] = await db.sql<{ n: number; d: number }[]>`
      select count(*)::int as n, count(distinct domain)::int as d from dns_queries`;
    n = c.n;
    assert.equal(n, written);
    assert.equal(c.d, n, "no line stored twice");
  } finally {
    serve.kill("SIGTERM");
    const status = await serve.status;
    const err = await stderrOf(serve);
    await db.drop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, err);
  }
});

/**
 * Every stored row of `db` as text, sorted: equal lists mean the same rows, each as often.
 * The time and the latency are left out: a response in a later batch than its query has its
 * own time and no latency, and batches end where each reader's end.
 */
async function storedRows(db: TestDb): Promise<string[]> {
  const rows = await db.sql<{ r: string }[]>`
    select concat_ws('|', client_ip, client_port, domain, qtype, response_rcode, transport) as r
    from dns_queries order by 1`;
  return rows.map((x) => x.r);
}

/** The rows of one reader alone over `bytes`, in a database of its own. */
async function referenceRows(dir: string, bytes: Uint8Array): Promise<string[]> {
  const db = await createTestDb();
  try {
    await migrate(db.sql);
    const path = join(dir, "reference.fstrm");
    await Deno.writeFile(path, bytes);
    const ctx = {
      sql: db.sql,
      nodeId: await nodeIdOf(db.sql, "test"),
      tz: "UTC",
      knownDays: new Set<number>(),
    };
    const log = createLogger({ level: "error", write: () => {} });
    const r = await ingestDnstapFiles(ctx, [path], { log });
    assert.equal(r.failedFiles, 0);
    return await storedRows(db);
  } finally {
    await db.drop();
  }
}

Deno.test({
  name:
    "two readers of one dnstap file for one node: the slower continues from the other's checkpoint",
  ignore: NO_XZ,
  fn: async () => {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-conflict-" });
    const clients: postgres.Sql[] = [];
    try {
      const bytes = await fixtureBytes("dnstap-1.fstrm");
      const expected = await referenceRows(dir, bytes);
      assert.ok(expected.length > 1000, `the fixture has rows (${expected.length})`);
      await migrate(db.sql);
      const nodeId = await nodeIdOf(db.sql, "test");
      const path = join(dir, "tap.fstrm");
      await Deno.writeFile(path, bytes);
      const log = createLogger({ level: "error", write: () => {} });
      const writer = (copy: boolean): WriterContext => {
        const sql = postgres(db.url, { max: 4, onnotice: () => {}, ...NO_DELAY_OPTIONS });
        clients.push(sql);
        return { sql, nodeId, tz: "UTC", knownDays: new Set(), copy };
      };
      // Batches of different sizes on separate pools: their boundaries differ, so a batch
      // often starts where no checkpoint is, and queries wait across the readers' batches.
      const runs = await Promise.all([
        ingestDnstapFiles(writer(false), [path], { log, batchFrames: 90 }),
        ingestDnstapFiles(writer(true), [path], { log, batchFrames: 400 }),
        ingestDnstapFiles(writer(false), [path], { log, batchFrames: 230 }),
        ingestDnstapFiles(writer(true), [path], { log, batchFrames: 700 }),
      ]);
      for (const r of runs) assert.equal(r.failedFiles, 0);
      assert.deepEqual(await storedRows(db), expected, "every row once, as one reader stores it");
      const fp = (await dnstapFingerprint(path))!;
      const [cp] = await db.sql<{ o: string }[]>`
        select byte_offset::text as o from ingest_checkpoints where fingerprint = ${fp}`;
      assert.equal(Number(cp.o), bytes.length);
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
      await db.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "ingest on the dnstap file serve follows: both go on, every row stored once",
  ignore: NO_XZ,
  fn: async () => {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-conflict-" });
    const bytes = await fixtureBytes("dnstap-1.fstrm");
    const expected = await referenceRows(dir, bytes);
    const path = join(dir, "tap.fstrm");
    // named has written the first part; serve follows it, and an ingest is run on the file
    // while the rest arrives.
    const cut = Math.floor(bytes.length / 3);
    await Deno.writeFile(path, bytes.subarray(0, cut));
    const env = {
      DATABASE_URL: db.url,
      DNSA_NODE: "test",
      DNSA_LOG_TZ: "UTC",
      DNSA_SOURCE: "dnstap",
      DNSA_DNSTAP: path,
      DNSA_POLL_MS: "50",
    };
    await migrate(db.sql);
    const serve = startServe(env);
    try {
      await Deno.writeFile(path, bytes.subarray(cut), { append: true });
      for (let round = 0; round < 2; round++) {
        const r = await db.run(["ingest", path], env);
        assert.equal(r.code, 0, r.stderr);
      }
      const fp = (await dnstapFingerprint(path))!;
      const end = Date.now() + 60_000;
      let at = 0;
      while (Date.now() < end && at !== bytes.length) {
        const [cp] = await db.sql<{ o: string | null }[]>`
          select max(byte_offset)::text as o from ingest_checkpoints where fingerprint = ${fp}`;
        at = Number(cp?.o ?? 0);
        if (at !== bytes.length) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(at, bytes.length, "the file was read to its end");
      // The end of the file (named's STOP) settles its waiting queries in whichever process
      // read it last; serve's pass after that adds nothing.
      assert.deepEqual(await storedRows(db), expected, "every row once, as one reader stores it");
    } finally {
      serve.kill("SIGTERM");
      const status = await serve.status;
      const err = await stderrOf(serve);
      await db.drop();
      await Deno.remove(dir, { recursive: true });
      assert.equal(status.code, 0, err);
    }
  },
});
