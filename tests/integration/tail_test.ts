/**
 * The tail on real files and PostgreSQL: a rotated file's unterminated end is final (query
 * log and dnstap), dnstap identity and content come from one open file, and dnstap files are
 * followed by the same follower as the logs, exactly once through rotation.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { nodeIdOf } from "../../lib/context.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { dnstapFileSource, dnstapFingerprint, ingestDnstapFiles } from "../../lib/dnstap/file.ts";
import { followDnstap } from "../../lib/dnstap/follow.ts";
import type { WriterContext } from "../../lib/ingest/commit.ts";
import { followQueryLog } from "../../lib/ingest/query_log.ts";
import { createLogger } from "../../lib/log.ts";
import { TrafficGenerator } from "../../lib/demo/traffic.ts";
import { listRotatedSet } from "../../lib/tail/file_set.ts";
import type { FollowStats } from "../../lib/tail/follower.ts";
import { fingerprintLog } from "../../lib/tail/fingerprint.ts";
import { readFiles } from "../../lib/tail/pipeline.ts";
import type { TailSource } from "../../lib/tail/source.ts";
import { SourceFile } from "../../lib/tail/source_file.ts";
import { dnstapTruth, fixtureBytes, splitFrames } from "../dnstap/fixture_frames.ts";
import { createTestDb, type TestDb } from "./pg.ts";

const quiet = createLogger({ level: "error", write: () => {} });
/** A modification time old enough for a rotated file to be final. */
const MINUTE_AGO = () => new Date(Date.now() - 60_000);

/** Numbered query lines: line i asks for q<i>.example.com. */
function lines(from: number, to: number): string {
  const g = new TrafficGenerator(from);
  let out = "";
  for (let i = from; i < to; i++) {
    out += g.next(Date.UTC(2026, 10, 25, 12, 0, 0, 0) + i).query
      .replace(/\(([^)]*)\): query: (\S+)/, `(q${i}.example.com): query: q${i}.example.com`) + "\n";
  }
  return out;
}

/** Poll until `check` holds or `ms` passed; returns whether it held. */
async function waitFor(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function writer(db: TestDb): Promise<WriterContext> {
  await migrate(db.sql);
  return { sql: db.sql, nodeId: await nodeIdOf(db.sql, "test"), tz: "UTC", knownDays: new Set() };
}

async function count(db: TestDb, table = "dns_queries"): Promise<number> {
  const [{ n }] = await db.sql.unsafe(`select count(*)::int as n from ${table}`);
  return n;
}

async function checkpointOf(db: TestDb, fingerprint: string) {
  const [cp] = await db.sql`select byte_offset::int as offset, lines::int, rejected::int, reasons
    from ingest_checkpoints where fingerprint = ${fingerprint}`;
  return cp;
}

Deno.test("tail: a rotated log that ends mid-line (named killed) is read to its end, the line rejected as unterminated", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-tail-" });
  const x = join(dir, "queries.log");
  try {
    const ctx = await writer(db);
    // named is killed in the middle of writing line 10.
    const cut = lines(10, 11).slice(0, 30);
    await Deno.writeTextFile(x, lines(0, 10) + cut);
    let last: FollowStats | null = null;
    const follow = (signal: AbortSignal) =>
      followQueryLog(ctx, {
        paths: [x],
        pollMs: 50,
        log: quiet,
        signal,
        onPass: (s) => last = structuredClone(s),
      });
    let stop = new AbortController();
    let run = follow(stop.signal);
    assert.ok(await waitFor(async () => await count(db) === 10 && last?.pending === 1));
    stop.abort();
    await run;
    // At its restart (a while later) named rotates (x → x.0) and writes a new x, itself
    // ending mid-line.
    await Deno.utime(x, MINUTE_AGO(), MINUTE_AGO());
    await Deno.rename(x, `${x}.0`);
    const live = lines(20, 21).slice(0, 25);
    await Deno.writeTextFile(x, lines(11, 20) + live);
    stop = new AbortController();
    last = null;
    run = follow(stop.signal);
    const caughtUp = await waitFor(() => last !== null && last.behind[`${x}.0`] === 0);
    stop.abort();
    await run;
    assert.ok(caughtUp, `behind ${JSON.stringify(last)}`);
    const s = last! as FollowStats;
    assert.equal(s.behind[`${x}.0`], 0, "the rotated file is read to its end");
    assert.equal(s.behind[x], live.length, "the live file's partial line waits");
    assert.equal(s.pending, 1);
    assert.deepEqual(s.reasons, { unterminated: 1 });
    assert.equal(await count(db), 19);
    const [{ d }] = await db.sql`select count(distinct domain)::int as d from dns_queries`;
    assert.equal(d, 19, "every complete line once");
    // The rotated file's checkpoint is at its end and counts the line; its sample is kept.
    using rotated = await SourceFile.open(`${x}.0`);
    const cp = await checkpointOf(db, (await fingerprintLog(rotated))!);
    assert.deepEqual(
      [cp.offset, cp.lines, cp.rejected, cp.reasons],
      [rotated.size, 11, 1, { unterminated: 1 }],
    );
    const [sample] = await db.sql`select reason, line_length::int as n, sample from ingest_rejects`;
    assert.deepEqual([sample.reason, sample.n], ["unterminated", cut.length]);
    assert.equal(new TextDecoder().decode(sample.sample), cut);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tail: ingest of a rotated log ending mid-line: pending while it may grow, then one unterminated reject", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-tail-" });
  try {
    const rotated = join(dir, "queries.log.1");
    await Deno.writeTextFile(rotated, lines(0, 5) + lines(5, 6).slice(0, 40));
    // Just written (a copytruncate copy still being made): the cut line may yet be completed.
    const fresh = await db.run(["ingest", rotated]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.deepEqual(
      [fresh.json!.lines, fresh.json!.rows, fresh.json!.rejected, fresh.json!.pending],
      [6, 5, 0, 1],
    );
    // Unchanged for a while: final.
    await Deno.utime(rotated, MINUTE_AGO(), MINUTE_AGO());
    const a = await db.run(["ingest", rotated]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(
      [a.json!.lines, a.json!.rows, a.json!.rejected, a.json!.pending, a.json!.reasons],
      [1, 0, 1, 0, { unterminated: 1 }],
    );
    const b = await db.run(["ingest", rotated]);
    assert.deepEqual([b.json!.lines, b.json!.rejected, b.json!.pending], [0, 0, 0]);
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(n, 5);
    // A rotated file holding only the start of a line is final too.
    const stub = join(dir, "queries.log.2");
    await Deno.writeTextFile(stub, "25-Nov-2026 20:43:16.780 client");
    await Deno.utime(stub, MINUTE_AGO(), MINUTE_AGO());
    const c = await db.run(["ingest", stub]);
    assert.deepEqual([c.json!.lines, c.json!.rejected, c.json!.pending], [1, 1, 0]);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tail: a dnstap file rotated between its identity and its read commits its own frames only", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-tail-" });
  const x = join(dir, "tap.fstrm");
  try {
    const ctx = await writer(db);
    const one = await fixtureBytes("dnstap-1.fstrm");
    const two = await fixtureBytes("dnstap-2.fstrm");
    const frames = (b: Uint8Array) => splitFrames(b).filter((f) => !f.control).length;
    await Deno.writeFile(x, one);
    // named rolls the file right after the pipeline took the identity of the open file.
    const base = dnstapFileSource(ctx, { log: quiet });
    let rolled = false;
    const source: TailSource = {
      ...base,
      async fingerprint(file, options) {
        const fingerprint = await base.fingerprint(file, options);
        if (!rolled) {
          rolled = true;
          await Deno.rename(x, `${x}.0`);
          await Deno.writeFile(x, two);
        }
        return fingerprint;
      },
    };
    const first = await readFiles(ctx, [x], { source, log: quiet });
    assert.ok(rolled);
    assert.equal(first.lines, frames(one), "the frames of the file that was identified");
    const fp1 = (await dnstapFingerprint(`${x}.0`))!;
    const fp2 = (await dnstapFingerprint(x))!;
    assert.equal((await checkpointOf(db, fp1)).offset, one.length);
    assert.equal(await checkpointOf(db, fp2), undefined, "nothing of the new file yet");
    // The next run finds the old file under its new name (done) and reads the new one.
    const second = await ingestDnstapFiles(ctx, await listRotatedSet(x), { log: quiet });
    assert.equal(second.lines, frames(two));
    assert.equal((await checkpointOf(db, fp2)).offset, two.length);
    const rcodes = await db.sql`select response_rcode as k, count(*)::int as n from dns_queries
      where response_rcode is not null group by 1`;
    assert.deepEqual(
      Object.fromEntries(rcodes.map((r) => [r.k, r.n])),
      (await dnstapTruth()).response_rcode,
    );
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tail: a dnstap file is followed through a partial frame and rotations, each frame once", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-tail-" });
  const x = join(dir, "tap.fstrm");
  try {
    const ctx = await writer(db);
    const one = await fixtureBytes("dnstap-1.fstrm");
    const two = await fixtureBytes("dnstap-2.fstrm");
    const frames = (b: Uint8Array) => splitFrames(b).filter((f) => !f.control).length;
    const mid = splitFrames(one)[Math.floor(splitFrames(one).length / 2)].start + 5;
    await Deno.writeFile(x, one.subarray(0, mid)); // named is writing a frame
    let last: { frames: number; behind?: Record<string, number>; rejected: number } | null = null;
    const stop = new AbortController();
    const run = followDnstap(ctx, x, {
      kind: "file",
      log: quiet,
      signal: stop.signal,
      pollMs: 50,
      onStats: (s) => last = structuredClone(s),
    });
    const caughtUp = (n: number) => () =>
      last !== null && last.frames === n &&
      Object.values(last.behind ?? { x: 1 }).every((b) => b === 0);
    const half = splitFrames(one.subarray(0, mid - 5)).filter((f) => !f.control).length;
    assert.ok(await waitFor(() => last !== null && last.frames === half));
    await Deno.writeFile(x, one.subarray(mid), { append: true });
    assert.ok(await waitFor(caughtUp(frames(one))), JSON.stringify(last));
    // named rolls; the new file is cut short (named killed mid-frame), then rolled in turn.
    await Deno.rename(x, `${x}.0`);
    await Deno.writeFile(x, two.subarray(0, two.length - 7));
    await new Promise((r) => setTimeout(r, 200));
    await Deno.rename(`${x}.0`, `${x}.1`);
    await Deno.utime(x, MINUTE_AGO(), MINUTE_AGO());
    await Deno.rename(x, `${x}.0`);
    // The partial last frame of the rotated file is final: one unterminated reject.
    const total = frames(one) + frames(two) + 1;
    const done = await waitFor(caughtUp(total));
    stop.abort();
    await run;
    assert.ok(done, JSON.stringify(last));
    assert.equal(last!.rejected, 1);
    const [cp] = await db.sql`select reasons from ingest_checkpoints
      where fingerprint = ${(await dnstapFingerprint(`${x}.0`))!}`;
    assert.deepEqual(cp.reasons, { unterminated: 1 });
    const rcodes = await db.sql`select response_rcode as k, count(*)::int as n from dns_queries
      where response_rcode is not null group by 1`;
    assert.deepEqual(
      Object.fromEntries(rcodes.map((r) => [r.k, r.n])),
      (await dnstapTruth()).response_rcode,
      "every response once",
    );
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
