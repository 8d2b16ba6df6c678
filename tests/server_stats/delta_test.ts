import assert from "node:assert/strict";
import { parseServerJson } from "../../lib/server_stats/channel.ts";
import { counterColumns, counterDelta } from "../../lib/server_stats/delta.ts";

const boot = new Date("2026-11-25T08:00:00Z");
const at = (iso: string, counters: Record<string, number>, bootTime = boot) => ({
  sampledAt: new Date(iso),
  bootTime,
  counters,
});

Deno.test("parseServerJson flattens named 9.18's groups and sums cache counters over views", () => {
  const s = parseServerJson({
    "boot-time": "2026-11-25T08:00:00.123Z",
    rcodes: { NOERROR: 3, NXDOMAIN: 2, FORMERR: 0, BADCOOKIE: 1 },
    qtypes: { A: 5, AAAA: 1 },
    nsstats: { Requestv4: 6, RateDropped: 2, QryUDP: 6 },
    views: {
      _default: { resolver: { cachestats: { QueryHits: 4, QueryMisses: 1, CacheNodes: 99 } } },
      internal: { resolver: { cachestats: { QueryHits: 1 } } },
      _bind: { resolver: { cachestats: { QueryHits: 50 } } },
    },
  }, new Date("2026-11-25T09:00:00Z"));
  assert.deepEqual(s.counters, {
    "rcode.NOERROR": 3,
    "rcode.NXDOMAIN": 2,
    "rcode.BADCOOKIE": 1,
    "qtype.A": 5,
    "qtype.AAAA": 1,
    "ns.Requestv4": 6,
    "ns.RateDropped": 2,
    "ns.QryUDP": 6,
    "cache.QueryHits": 5,
    "cache.QueryMisses": 1,
  });
  assert.equal(s.bootTime?.toISOString(), "2026-11-25T08:00:00.123Z");
  assert.throws(() => parseServerJson({ hello: 1 }, new Date()), /not named's JSON statistics/);
});

Deno.test("counterDelta: growth, the first reading as baseline, restarts by boot-time or a drop", () => {
  const a = at("2026-11-25T09:00:00Z", { "rcode.NXDOMAIN": 10, "rcode.NOERROR": 100 });
  assert.equal(counterDelta(null, a), null);
  const b = at("2026-11-25T09:01:00Z", {
    "rcode.NXDOMAIN": 14,
    "rcode.NOERROR": 100,
    "qtype.A": 3,
  });
  const d = counterDelta(a, b)!;
  assert.deepEqual(d.counters, { "rcode.NXDOMAIN": 4, "qtype.A": 3 });
  assert.equal(d.restarted, false);
  assert.equal(d.minute.toISOString(), "2026-11-25T09:00:00.000Z", "the middle of the interval");
  // Restarted (boot-time moved): the counts since the restart, never a negative delta.
  const newBoot = new Date("2026-11-25T09:01:30Z");
  const c = at("2026-11-25T09:02:00Z", { "rcode.NXDOMAIN": 2, "rcode.NOERROR": 500 }, newBoot);
  const r = counterDelta(b, c)!;
  assert.equal(r.restarted, true);
  assert.deepEqual(r.counters, { "rcode.NXDOMAIN": 2, "rcode.NOERROR": 500 });
  assert.equal(r.since.toISOString(), newBoot.toISOString());
  // A counter that went down without a boot-time (an older named): a restart too.
  const noBoot = { ...b, bootTime: null };
  const e = counterDelta(noBoot, { ...c, bootTime: null })!;
  assert.equal(e.restarted, true);
  assert.equal(e.counters["rcode.NXDOMAIN"], 2);
  // Not later: nothing.
  assert.equal(counterDelta(b, { ...b }), null);
});

Deno.test("counterColumns splits rcodes, RRL, cache and transport into the table's columns", () => {
  const c = counterColumns({
    "rcode.NOERROR": 5,
    "rcode.NXDOMAIN": 2,
    "rcode.SERVFAIL": 1,
    "rcode.REFUSED": 1,
    "rcode.BADCOOKIE": 3,
    "ns.Requestv4": 10,
    "ns.Requestv6": 2,
    "ns.RateDropped": 4,
    "ns.RateSlipped": 1,
    "ns.QryTCP": 2,
    "cache.QueryHits": 7,
    "qtype.A": 12,
  });
  assert.equal(c.requests, 12);
  assert.equal(c.noerror_count, 5);
  assert.equal(c.nxdomain_count, 2);
  assert.equal(c.other_count, 3);
  assert.equal(c.rate_dropped, 4);
  assert.equal(c.rate_slipped, 1);
  assert.equal(c.tcp_count, 2);
  assert.equal(c.cache_query_hits, 7);
  assert.deepEqual(c.qtypes, { A: 12 });
  assert.equal(c.rcodes.BADCOOKIE, 3);
});
