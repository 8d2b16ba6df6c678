/**
 * A message `consume` acknowledged is on the database's disk: after an acknowledgement the
 * server may crash at once (`pg_ctl stop -m immediate` on a cluster of the test's own,
 * tests/integration/cluster.ts) and the batch is still stored, for no message comes again.
 * The WAL writer is slowed to 10 s here, so what was only committed asynchronously is lost by
 * the crash for certain rather than by chance (the bus acceptance test's crash met it about
 * one run in five: a file's batch gone, and every later batch of the file waiting for it).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { durabilityBarrier } from "../../lib/bus/consumer.ts";
import { connectNats } from "../../lib/bus/nats.ts";
import type { Sql } from "../../lib/db/connect.ts";
import { TrafficGenerator } from "../../lib/demo/traffic.ts";
import { type Cluster, clusterUnavailable, startCluster } from "./cluster.ts";
import { cleanEnv, runProgram } from "./pg.ts";
import { natsServerPath, startNats } from "./nats.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const noCluster = await clusterUnavailable();

/** A cluster whose WAL writer writes asynchronous commits only after 10 s. */
async function slowWalCluster(): Promise<Cluster> {
  const cluster = await startCluster();
  const admin = cluster.client();
  await admin`alter system set wal_writer_delay = '10s'`;
  await admin`select pg_reload_conf()`;
  return cluster;
}

Deno.test({
  name: "bus durability barrier: commits made before it survive a crash right after it",
  ignore: noCluster !== null,
  async fn() {
    const cluster = await slowWalCluster();
    try {
      const admin = cluster.client();
      await admin`create table barrier_rows (n integer)`;
      const sql = postgres(cluster.url(), { max: 2, onnotice: () => {} });
      try {
        // As a batch commits: without waiting for the disk.
        await sql.begin(async (tx) => {
          await tx`set local synchronous_commit = off`;
          await tx`insert into barrier_rows select generate_series(1, 1000)`;
        });
        await durabilityBarrier(sql as unknown as Sql)();
      } finally {
        await sql.end({ timeout: 1 });
      }
      await cluster.crash();
      await cluster.start();
      const after = cluster.client();
      const [r] = await after<{ n: number }[]>`select count(*)::int as n from barrier_rows`;
      assert.equal(r.n, 1000, "the commit before the barrier survived the crash");
    } finally {
      await cluster.destroy();
    }
  },
});

Deno.test({
  name: "bus consume: a batch acknowledged is stored, though the server crashes right after",
  ignore: natsServerPath() === null || noCluster !== null,
  async fn() {
    const nats = await startNats();
    const cluster = await slowWalCluster();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-bus-durable-" });
    let consume: Deno.ChildProcess | null = null;
    const bus = await connectNats({
      url: nats.url,
      stream: "dns-analytics",
      creds: null,
      tlsCa: null,
    }, { name: "test" });
    try {
      await cluster.client()`create database dnsa_bus`;
      const url = cluster.url("dnsa_bus");
      const g = new TrafficGenerator(7);
      const lines = Array.from({ length: 500 }, () => g.next(Date.now()).query);
      const log = join(dir, "queries.log");
      await Deno.writeTextFile(log, lines.join("\n") + "\n");
      // The edge publishes the file: one batch.
      const edge = await runProgram(["ingest", log], {
        DNSA_BUS: nats.url,
        DNSA_NODE: "edge1",
        DNSA_DATA_DIR: join(dir, "edge"),
        DNSA_LOG_TZ: "UTC",
      });
      assert.equal(edge.code, 0, edge.stderr);

      consume = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, "consume"],
        env: {
          ...cleanEnv(),
          NO_COLOR: "1",
          DNSA_LOG_TZ: "UTC",
          DNSA_NODE: "central",
          DATABASE_URL: url,
          DNSA_BUS: nats.url,
        },
        clearEnv: true,
        stdout: "null",
        stderr: "null",
      }).spawn();
      // Until the consumer has acknowledged every message; then the server crashes at once.
      const until = Date.now() + 60_000;
      for (;;) {
        const s = await bus.status();
        const c = s.consumer;
        if (c && s.stream && s.stream.messages > 0 && c.pending === 0 && c.ackPending === 0) {
          break;
        }
        assert.ok(Date.now() < until, `not acknowledged within 60 s: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await cluster.crash();
      consume.kill("SIGKILL");
      await consume.status;
      consume = null;
      await cluster.start();

      // No consumer runs now: what is stored is what the acknowledged commit left.
      const sql = cluster.client("dnsa_bus");
      const [r] = await sql<{ rows: number; applied: number }[]>`
        select (select count(*)::int from dns_queries q join dns_nodes n using (node_id)
                where n.node_name = 'edge1') as rows,
               (select count(*)::int from dns_bus_applied) as applied`;
      assert.equal(r.applied, 1, "the acknowledged message is recorded as stored");
      assert.equal(r.rows, lines.length, "the acknowledged batch's rows are stored");
    } finally {
      if (consume) {
        consume.kill("SIGKILL");
        await consume.status;
      }
      await bus.close();
      await cluster.destroy();
      await nats.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
