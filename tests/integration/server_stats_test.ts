/**
 * named's statistics channel against a real named: the rcodes dig saw equal the stored
 * per-minute deltas and `report server-rcodes`; a named restart in the middle adds no
 * negative and no doubled minute; failures of the channel are counted, never fatal; the
 * counters are retained and federated like the statistics.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readServerCounters } from "../../lib/server_stats/channel.ts";
import { collectServerCounters, storeServerSample } from "../../lib/server_stats/collect.ts";
import { runServerCounterCollector } from "../../lib/server_stats/collector.ts";
import { applyServerCounterRetention } from "../../lib/server_stats/retention.ts";
import { checkStatsChannel } from "../../lib/server_stats/doctor.ts";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { runReport } from "../../lib/report.ts";
import { createTestDb, startServe, stderrOf } from "./pg.ts";
import { freePort, haveNamed, sendMix, startNamed, writeNamedConf } from "./named.ts";

type Sums = Record<string, number>;

async function sums(sql: import("postgres").Sql, node: string): Promise<Sums> {
  const [r] = await sql.unsafe<Record<string, string>[]>(
    `select count(*) as minutes, coalesce(sum(noerror_count), 0) as noerror,
       coalesce(sum(nxdomain_count), 0) as nxdomain, coalesce(sum(servfail_count), 0) as servfail,
       coalesce(sum(refused_count), 0) as refused, coalesce(sum(requests), 0) as requests,
       count(*) filter (where restarted) as restarts,
       count(*) filter (where least(noerror_count, nxdomain_count, servfail_count, refused_count,
         requests, responses, udp_count, tcp_count, other_count, rate_dropped, rate_slipped,
         cache_query_hits, cache_query_misses) < 0) as negative
     from dns_server_counters where node_name = $1`,
    [node],
  );
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
}

Deno.test({
  name: "server counters: real named rcodes equal, a restart adds no negative or doubled minute",
  ignore: !haveNamed(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dnsa-stats-" });
    const db = await createTestDb();
    const port = freePort();
    const statsPort = freePort();
    const url = `http://127.0.0.1:${statsPort}`;
    const conf = await writeNamedConf(dir, port, `file "${join(dir, "tap.fstrm")}"`, statsPort);
    let named = await startNamed(conf, port);
    try {
      assert.equal((await db.run(["migrate"])).code, 0);
      const doctor = await checkStatsChannel({
        namedStats: url,
        http: { host: "127.0.0.1", port: 8053 },
      }, { conf: null });
      assert.deepEqual(doctor.map((f) => f.level), ["ok"], doctor[0]?.message);
      // Readings a minute apart (the clock of the samples is the test's), so each is a minute.
      const base = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
      let k = 0;
      const read = () => readServerCounters(url, { now: () => new Date(base + 60_000 * k++) });
      const store = async () =>
        await storeServerSample(db.sql, await read(), { node: "dns1", tz: "UTC" });

      const first = await store();
      assert.equal(first.stored, false, "the first reading is the baseline");
      const a = await sendMix(dir, port, "a", {
        NOERROR: 20,
        NXDOMAIN: 15,
        SERVFAIL: 2,
        REFUSED: 5,
      });
      const second = await store();
      assert.equal(second.stored, true);
      assert.equal(second.restarted, false);
      assert.equal(second.counters["rcode.NOERROR"], a.NOERROR);
      assert.equal(second.counters["rcode.NXDOMAIN"], a.NXDOMAIN);
      assert.equal(second.counters["rcode.SERVFAIL"], a.SERVFAIL);
      assert.equal(second.counters["rcode.REFUSED"], a.REFUSED);
      let s = await sums(db.sql, "dns1");
      assert.deepEqual(
        [s.minutes, s.noerror, s.nxdomain, s.servfail, s.refused],
        [1, 20, 15, 2, 5],
      );
      assert.equal(s.requests, 42, "every query dig sent was received");

      // The report shows what dig saw.
      const report = await runReport(db.sql, "server-rcodes", { tz: "UTC" });
      const by = Object.fromEntries(report.rows.map((r) => [r.rcode, r]));
      assert.equal(by.NXDOMAIN.responses, 15);
      assert.equal(by.NOERROR.responses, 20);
      assert.equal(by.NXDOMAIN.rate_pct, Math.round(10000 * 15 / 42) / 100);

      // A restart of named in the middle: its counters start again from zero.
      await named.stop();
      named = await startNamed(conf, port);
      const b = await sendMix(dir, port, "b", { NOERROR: 7, NXDOMAIN: 9, SERVFAIL: 0, REFUSED: 3 });
      const after = await read();
      const third = await storeServerSample(db.sql, after, { node: "dns1", tz: "UTC" });
      assert.equal(third.restarted, true, "named's boot-time changed");
      // What named counted since its restart: b plus the start-up probes (NOERROR).
      assert.ok(after.counters["rcode.NOERROR"] >= b.NOERROR);
      assert.equal(after.counters["rcode.NXDOMAIN"], b.NXDOMAIN);
      // One more reading with no traffic: nothing counted twice.
      const fourth = await store();
      assert.equal(fourth.restarted, false);
      s = await sums(db.sql, "dns1");
      assert.equal(s.negative, 0, "no negative delta");
      assert.equal(s.restarts, 1);
      assert.equal(s.nxdomain, a.NXDOMAIN + b.NXDOMAIN, "no doubled NXDOMAIN");
      assert.equal(s.refused, a.REFUSED + b.REFUSED);
      assert.equal(s.noerror, a.NOERROR + after.counters["rcode.NOERROR"], "no doubled NOERROR");
      assert.ok(s.minutes >= 2 && s.minutes <= 3);

      // A reading that is not later than the stored one changes nothing.
      const stale = await storeServerSample(db.sql, { ...after, sampledAt: new Date(base) }, {
        node: "dns1",
        tz: "UTC",
      });
      assert.equal(stale.stored, false);
      assert.deepEqual(await sums(db.sql, "dns1"), s);

      // The live path: collectServerCounters reads the clock itself.
      const live = await collectServerCounters(db.sql, { node: "dns2", url, tz: "UTC" });
      assert.equal(live.stored, false, "a new node starts with its baseline");
    } finally {
      await named.stop();
      await db.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "server counters: the collector counts failures and goes on; retention deletes old days",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await createTestDb();
    try {
      assert.equal((await db.run(["migrate"])).code, 0);
      const metrics = new MetricsRecorder({ source: "querylog" });
      const stop = new AbortController();
      const lines: string[] = [];
      const done = runServerCounterCollector(db.sql, {
        node: "dns1",
        url: `http://127.0.0.1:${freePort()}`, // nothing listens there
        tz: "UTC",
        log: createLogger({ write: (l) => lines.push(l) }),
        metrics,
        signal: stop.signal,
        timeoutMs: 2000,
      });
      for (let i = 0; i < 200 && metrics.namedStatsFailures === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      stop.abort();
      await done; // resolves: a failure is never fatal
      assert.equal(metrics.namedStatsFailures, 1);
      assert.equal(metrics.namedStatsReads, 0);
      assert.match(lines.join(""), /named statistics channel not collected/);
      assert.match(lines.join(""), /DNSA_NAMED_STATS/);

      // Two readings 400 days apart give a minute 400 days ago; retention of 30 days drops it.
      const old = new Date(Date.UTC(2024, 0, 10, 12, 0, 0));
      const sample = (at: Date, nx: number) => ({
        sampledAt: at,
        bootTime: new Date(Date.UTC(2024, 0, 1)),
        counters: { "rcode.NXDOMAIN": nx },
      });
      await storeServerSample(db.sql, sample(old, 1), { node: "dns1", tz: "UTC" });
      await storeServerSample(db.sql, sample(new Date(old.getTime() + 60_000), 4), {
        node: "dns1",
        tz: "UTC",
      });
      const recent = new Date(Date.UTC(2025, 1, 1, 12, 0, 0));
      await storeServerSample(db.sql, sample(recent, 9), { node: "dns1", tz: "UTC" });
      await storeServerSample(db.sql, sample(new Date(recent.getTime() + 60_000), 11), {
        node: "dns1",
        tz: "UTC",
      });
      const before = await db.sql`select stat_minute, nxdomain_count from dns_server_counters
        order by stat_minute`;
      assert.equal(before.length, 3);
      const deleted = await applyServerCounterRetention(db.sql, {
        tz: "UTC",
        statsRetentionDays: 30,
        now: new Date(Date.UTC(2025, 1, 2)),
      });
      // The second delta spans a year: it is filed under the middle of it, an old day too.
      assert.deepEqual(
        deleted,
        before.slice(0, 2).map((r) => (r.stat_minute as Date).toISOString().slice(0, 10)),
      );
      const left = await db.sql`select nxdomain_count from dns_server_counters`;
      assert.deepEqual(left.map((r) => Number(r.nxdomain_count)), [2]);
      // The days got statistics versions (federation pulls them).
      const [v] = await db.sql`select count(*)::int as n from stats_versions
        where node_name = 'dns1'`;
      assert.ok(v.n >= 2);
    } finally {
      await db.drop();
    }
  },
});

Deno.test({
  name: "server counters: federated with the statistics, reports by node",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const d1 = await createTestDb();
    const d2 = await createTestDb();
    try {
      assert.equal((await d1.run(["migrate"], { DNSA_NODE: "dns1" })).code, 0);
      assert.equal((await d2.run(["migrate"], { DNSA_NODE: "dns2" })).code, 0);
      const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
      const at = (m: number, nx: number, dropped: number) => ({
        sampledAt: new Date(t0 + m * 60_000),
        bootTime: new Date(t0 - 3_600_000),
        counters: {
          "rcode.NOERROR": 100 * m,
          "rcode.NXDOMAIN": nx,
          "ns.Requestv4": 100 * m + nx + dropped,
          "ns.RateDropped": dropped,
          "cache.QueryHits": 30 * m,
          "cache.QueryMisses": 10 * m,
        },
      });
      for (const [m, nx, dropped] of [[0, 0, 0], [1, 5, 0], [2, 8, 4], [3, 8, 10]]) {
        await storeServerSample(d2.sql, at(m, nx, dropped), { node: "dns2", tz: "UTC" });
      }
      const fed = await d1.run(["federate"], { DNSA_NODE: "dns1", DNSA_PEERS: `dns2=${d2.url}` });
      assert.equal(fed.code, 0, fed.stderr);
      const rows = await d1.sql`select node_name, sum(nxdomain_count)::int as nx,
        sum(rate_dropped)::int as dropped from dns_server_counters group by 1`;
      assert.deepEqual(rows.map((r) => ({ ...r })), [{ node_name: "dns2", nx: 8, dropped: 10 }]);
      // A second pull moves nothing twice.
      assert.equal(
        (await d1.run(["federate"], { DNSA_NODE: "dns1", DNSA_PEERS: `dns2=${d2.url}` })).code,
        0,
      );
      const [again] = await d1.sql`select sum(nxdomain_count)::int as nx from dns_server_counters`;
      assert.equal(again.nx, 8);

      const rrl = await d1.run(
        ["report", "server-rrl", "--node", "dns2", "--format", "json", "--no-rollup"],
        { DNSA_NODE: "dns1" },
      );
      assert.equal(rrl.code, 0, rrl.stderr);
      const minutes = JSON.parse(rrl.stdout) as { rate_dropped: number }[];
      assert.deepEqual(minutes.map((m) => m.rate_dropped), [4, 6]);
      const cache = await d1.run(["report", "server-cache", "--format", "json", "--no-rollup"], {
        DNSA_NODE: "dns1",
      });
      const days = JSON.parse(cache.stdout) as { hit_ratio_pct: number; query_hits: number }[];
      assert.equal(days.reduce((a, d) => a + d.query_hits, 0), 90);
      assert.ok(days.every((d) => d.hit_ratio_pct === 75));
    } finally {
      await d1.drop();
      await d2.drop();
    }
  },
});

Deno.test({
  name: "server counters: serve reads named's channel (DNSA_NAMED_STATS) beside the logs",
  ignore: !haveNamed(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dnsa-stats-serve-" });
    const db = await createTestDb();
    const port = freePort();
    const statsPort = freePort();
    const conf = await writeNamedConf(dir, port, `file "${join(dir, "tap.fstrm")}"`, statsPort);
    const named = await startNamed(conf, port);
    try {
      await Deno.writeTextFile(join(dir, "queries.log"), "");
      await Deno.writeTextFile(join(dir, "query-errors.log"), "");
      const serve = startServe({
        DATABASE_URL: db.url,
        DNSA_NODE: "dns1",
        DNSA_LOG_TZ: "UTC",
        DNSA_QUERY_LOG: join(dir, "queries.log"),
        DNSA_ERROR_LOG: join(dir, "query-errors.log"),
        DNSA_NAMED_STATS: `http://127.0.0.1:${statsPort}`,
      });
      let sampled = false;
      for (let i = 0; i < 300 && !sampled; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const [r] = await db.sql`select to_regclass('dns_server_samples') is not null as t`;
        if (!r.t) continue;
        const rows = await db.sql`select counters from dns_server_samples where node_name = 'dns1'`;
        sampled = rows.length === 1;
      }
      serve.kill("SIGTERM");
      const status = await serve.status;
      const log = await stderrOf(serve);
      assert.ok(sampled, `serve stored no reading of named's counters:\n${log}`);
      assert.equal(status.code, 0, log);
      assert.doesNotMatch(log, /named statistics channel not collected/);
    } finally {
      await named.stop();
      await db.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
