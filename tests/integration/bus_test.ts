/**
 * The bus with real components: nats-server -js (started here on loopback), PostgreSQL, and
 * the program as subprocesses: `ingest` at an edge (DNSA_BUS, no database) publishes, `consume`
 * stores. Every row once, against a direct `ingest` of the same files into the same database.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanEnv, createTestDb, runProgram, type TestDb } from "./pg.ts";
import { natsServerPath, startNats } from "./nats.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const FIX = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const LOGS = [join(FIX, "queries.log.gz"), join(FIX, "query-errors.log")];

/** Start `consume` against `db` and `bus`. */
export function startConsume(env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "consume"],
    env: { ...cleanEnv(), NO_COLOR: "1", DNSA_LOG_TZ: "UTC", DNSA_NODE: "central", ...env },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function stop(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  return { code: status.code, stderr };
}

async function counts(db: TestDb, node: string) {
  const [r] = await db.sql<{ rows: number; rcodes: number; errors: number }[]>`
    select (select count(*)::int from dns_queries q join dns_nodes n using (node_id)
            where n.node_name = ${node}) as rows,
           (select count(response_rcode)::int from dns_queries q join dns_nodes n using (node_id)
            where n.node_name = ${node}) as rcodes,
           (select count(*)::int from dns_query_errors q join dns_nodes n using (node_id)
            where n.node_name = ${node}) as errors`;
  return r ?? { rows: 0, rcodes: 0, errors: 0 };
}

/** Wait (bounded) until `node` has `rows` rows. */
async function waitForRows(db: TestDb, node: string, rows: number, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  let c = await counts(db, node);
  while (c.rows < rows && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    c = await counts(db, node);
  }
  return c;
}

/** Wait (bounded) until `node` has the rows and the query-errors lines of `truth`. */
async function waitForCounts(db: TestDb, node: string, truth: { rows: number; errors: number }) {
  await waitForRows(db, node, truth.rows);
  const until = Date.now() + 120_000;
  let c = await counts(db, node);
  while (c.errors < truth.errors && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    c = await counts(db, node);
  }
  return c;
}

Deno.test({
  name: "bus: edge ingest → consume stores what direct ingest stores; re-publishing adds nothing",
  ignore: natsServerPath() === null,
  async fn() {
    const nats = await startNats();
    const db = await createTestDb();
    const dataDir = await Deno.makeTempDir({ prefix: "dnsa-edge-" });
    const edgeEnv = {
      DNSA_BUS: nats.url,
      DNSA_NODE: "edge1",
      DNSA_DATA_DIR: dataDir,
      DNSA_LOG_TZ: "UTC",
    };
    let consumer: Deno.ChildProcess | null = null;
    try {
      const direct = await db.run(["ingest", ...LOGS], { DNSA_NODE: "direct" });
      assert.equal(direct.code, 0, direct.stderr);
      const truth = await counts(db, "direct");
      assert.ok(truth.rows > 20_000 && truth.rcodes > 0);

      const first = await runProgram(["ingest", ...LOGS], edgeEnv);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json?.rows, truth.rows, "the edge read every row");
      consumer = startConsume({ DATABASE_URL: db.url, DNSA_BUS: nats.url });
      assert.deepEqual(await waitForCounts(db, "edge1", truth), truth);

      // The same files again: the local checkpoints say they are published.
      const again = await runProgram(["ingest", ...LOGS], edgeEnv);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.json?.rows, 0);

      // A crash after the last publish, before its checkpoint was written: the last file
      // (query-errors.log, one batch) has no checkpoint. The edge takes it from the stream, so
      // nothing is published again, even with other batch boundaries.
      const cpFile = join(dataDir, "bus-checkpoints-edge1.json");
      const cps = JSON.parse(await Deno.readTextFile(cpFile));
      const last = Object.keys(cps).at(-1)!;
      assert.match(cps[last].path, /query-errors\.log$/);
      delete cps[last];
      await Deno.writeTextFile(cpFile, JSON.stringify(cps));
      const recovered = await runProgram(["ingest", "--batch-rows", "777", ...LOGS], edgeEnv);
      assert.equal(recovered.code, 0, recovered.stderr);
      assert.match(recovered.stderr, /edge checkpoint taken from the bus/);
      assert.equal(recovered.json?.lines, 0, "nothing read again");

      // Everything published again beyond the stream's duplicate window: consume skips it.
      const setup = await runProgram(["bus-setup", "--duplicate-window", "1s"], {
        DNSA_BUS: nats.url,
      });
      assert.equal(setup.code, 0, setup.stderr);
      assert.equal(
        JSON.parse(setup.stdout.trim().split("\n").at(-1)!).stream.limits.duplicateWindowMs,
        1000,
      );
      await new Promise((r) => setTimeout(r, 1500));
      await Deno.remove(cpFile);
      const republished = await runProgram(["ingest", ...LOGS], edgeEnv);
      assert.equal(republished.code, 0, republished.stderr);
      assert.equal(
        republished.json?.rows,
        truth.rows,
        "published again, not dropped by the stream",
      );
      // Wait until the consumer has nothing pending, then compare.
      const until = Date.now() + 60_000;
      for (;;) {
        const s = await runProgram(["bus-setup"], { DNSA_BUS: nats.url });
        const c = JSON.parse(s.stdout.trim().split("\n").at(-1)!).consumer;
        if ((c.pending === 0 && c.ackPending === 0) || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(await counts(db, "edge1"), truth, "every row once");
      const doc = await db.run(["doctor"], { DNSA_BUS: nats.url });
      assert.match(doc.stdout, /ok\s+bus: stream dns-analytics: \d+ messages/);
      assert.match(doc.stdout, /ok\s+bus: consumer dns-analytics-consume: 0 waiting/);
      const [applied] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from dns_bus_applied`;
      assert.ok(applied.n > 0);
      const done = await stop(consumer);
      consumer = null;
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stderr, /"skipped":[1-9]/);
    } finally {
      if (consumer) await stop(consumer);
      await db.drop();
      await nats.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "bus: a batch larger than the server's max_payload goes in parts and is stored once",
  ignore: natsServerPath() === null,
  async fn() {
    const nats = await startNats({ maxPayload: 64 * 1024 });
    const db = await createTestDb();
    const dataDir = await Deno.makeTempDir({ prefix: "dnsa-edge-" });
    const edgeEnv = { DNSA_BUS: nats.url, DNSA_NODE: "edge2", DNSA_DATA_DIR: dataDir };
    let consumer: Deno.ChildProcess | null = null;
    try {
      const direct = await db.run(["ingest", ...LOGS], { DNSA_NODE: "direct" });
      assert.equal(direct.code, 0, direct.stderr);
      const truth = await counts(db, "direct");
      // 50 000-row batches of about 100 bytes a row: each in many parts of under 64 KiB.
      const edge = await runProgram(["ingest", ...LOGS], edgeEnv);
      assert.equal(edge.code, 0, edge.stderr);
      assert.equal(edge.json?.rows, truth.rows);
      consumer = startConsume({ DATABASE_URL: db.url, DNSA_BUS: nats.url });
      assert.deepEqual(await waitForCounts(db, "edge2", truth), truth);
      // Published again (no local checkpoints): every part and batch is a duplicate.
      await Deno.remove(join(dataDir, "bus-checkpoints-edge2.json"));
      const again = await runProgram(["ingest", ...LOGS], edgeEnv);
      assert.equal(again.code, 0, again.stderr);
      const status = await runProgram(["bus-setup"], { DNSA_BUS: nats.url });
      const stream = JSON.parse(status.stdout.trim().split("\n").at(-1)!).stream;
      const batches = edge.json?.batches as number;
      assert.ok(stream.messages > 2 * batches, `${stream.messages} messages, ${batches} batches`);
      const done = await stop(consumer);
      consumer = null;
      assert.equal(done.code, 0, done.stderr);
      assert.deepEqual(await counts(db, "edge2"), truth, "every row once");
    } finally {
      if (consumer) await stop(consumer);
      await db.drop();
      await nats.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
