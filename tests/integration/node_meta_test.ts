/**
 * Node metadata from the seed's dns_nodes columns: DNSA_NODE_IP, DNSA_NODE_LOCATION and
 * DNSA_NODE_NETWORK set this node's registry entry, federation copies it, and reports and
 * the API filter by location or network across federated nodes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { createHandler } from "../../lib/http/router.ts";
import { DASHBOARD_ASSETS } from "../../lib/http/dashboard/assets.ts";
import { createTestDb } from "./pg.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `n` query log lines for `name` from `ip`, today (UTC), a second apart. */
function lines(n: number, ip: string, name: string): string {
  const start = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 3_600_000;
  const p = (x: number, w = 2) => String(x).padStart(w, "0");
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(start + i * 1000);
    return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.000 client ` +
      `@0x7f00 ${ip}#5353 (${name}): query: ${name} IN A +E(0) (10.0.0.1)`;
  }).join("\n") + "\n";
}

Deno.test({
  name: "node metadata: set from configuration, federated, and reports filter by location",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const d1 = await createTestDb();
    const d2 = await createTestDb();
    const d3 = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-nodes-" });
    const e1 = {
      DNSA_NODE: "home-dns1",
      DNSA_NODE_IP: "192.168.238.128",
      DNSA_NODE_LOCATION: "home",
      DNSA_NODE_NETWORK: "192.168.238.0/24",
    };
    const e2 = {
      DNSA_NODE: "home-dns2",
      DNSA_NODE_IP: "10.10.10.250",
      DNSA_NODE_LOCATION: "home",
      DNSA_NODE_NETWORK: "10.10.10.0/24",
    };
    const e3 = { DNSA_NODE: "raxio-dns1", DNSA_NODE_LOCATION: "Raxio DSM" };
    try {
      for (
        const [db, env, ip, name, n] of [
          [d1, e1, "192.168.238.10", "one.example", 5],
          [d2, e2, "10.10.10.20", "two.example", 7],
          [d3, e3, "196.43.1.1", "isp.example", 50],
        ] as const
      ) {
        const log = join(dir, `${env.DNSA_NODE}.log`);
        await Deno.writeTextFile(log, lines(n, ip, name));
        const r = await db.run(["ingest", log], env);
        assert.equal(r.code, 0, r.stderr);
        assert.equal((await db.run(["rollup"], env)).code, 0);
      }
      const [me] = await d1.sql`select host(node_ip) as ip, location, network::text as network
        from dns_nodes where node_name = 'home-dns1'`;
      assert.deepEqual({ ...me }, {
        ip: "192.168.238.128",
        location: "home",
        network: "192.168.238.0/24",
      });

      const peers = { ...e1, DNSA_PEERS: `dns2=${d2.url},raxio=${d3.url}` };
      const fed = await d1.run(["federate"], peers);
      assert.equal(fed.code, 0, fed.stderr);
      const registry = await d1.sql`select node_name, host(node_ip) as ip, location,
        network::text as network from dns_nodes order by node_name`;
      assert.deepEqual(registry.map((r) => ({ ...r })), [
        {
          node_name: "home-dns1",
          ip: "192.168.238.128",
          location: "home",
          network: "192.168.238.0/24",
        },
        { node_name: "home-dns2", ip: "10.10.10.250", location: "home", network: "10.10.10.0/24" },
        { node_name: "raxio-dns1", ip: null, location: "Raxio DSM", network: null },
      ]);

      const report = async (...args: string[]) => {
        const r = await d1.run(
          ["report", "top-domains", "--format", "json", "--no-rollup", ...args],
          peers,
        );
        assert.equal(r.code, 0, r.stderr);
        return (JSON.parse(r.stdout) as { domain: string; hit_count: number }[])
          .map((x) => `${x.domain}=${x.hit_count}`);
      };
      assert.deepEqual(await report("--location", "home"), ["two.example=7", "one.example=5"]);
      assert.deepEqual(await report("--location", "raxio dsm"), ["isp.example=50"]);
      assert.deepEqual(await report("--network", "10.10.10.0/24"), ["two.example=7"]);
      assert.deepEqual(await report("--location", "home", "--node", "home-dns1"), [
        "one.example=5",
      ]);
      assert.deepEqual(await report("--location", "nowhere"), []);
      assert.deepEqual(await report(), ["isp.example=50", "two.example=7", "one.example=5"]);
      const bad = await d1.run(["report", "top-domains", "--network", "10.10.10"], peers);
      assert.equal(bad.code, 64);

      // The API: the same filter.
      const handler = createHandler({
        sql: d1.sql,
        config: { node: "home-dns1", logTz: "UTC", source: "querylog", httpToken: null },
        metrics: new MetricsRecorder({ source: "querylog" }),
        log: createLogger({ write: () => {} }),
        assets: DASHBOARD_ASSETS,
      });
      const res = await handler(
        new Request("http://127.0.0.1/api/reports/top-domains?days=2&location=home"),
      );
      assert.equal(res.status, 200);
      const body = await res.json() as { location: string; rows: { domain: string }[] };
      assert.equal(body.location, "home");
      assert.deepEqual(body.rows.map((r) => r.domain), ["two.example", "one.example"]);
      const wrong = await handler(
        new Request("http://127.0.0.1/api/reports/top-domains?network=nonsense"),
      );
      assert.equal(wrong.status, 400);
      await wrong.body?.cancel();
    } finally {
      await Deno.remove(dir, { recursive: true });
      await d1.drop();
      await d2.drop();
      await d3.drop();
    }
  },
});
