/**
 * The rollup's counting without a database: a window's hours across a DST change, and the
 * statistics rows one pass over sorted rows gives, as cells (the embedded database's path).
 */
import assert from "node:assert/strict";
import { WindowHours } from "../../lib/rollup/count_hours.ts";
import { WindowAggregator, type WindowSpec } from "../../lib/rollup/count_window.ts";
import type { PendingWrite } from "../../lib/rollup/write_batches.ts";
import { CellSink } from "../../lib/rollup/write_stream.ts";

Deno.test("window hours: a DST day has 23 hours, numbered as rows reach them", () => {
  // 2026-03-08 in New York: 00:00 EST (05:00Z) to 00:00 EDT next day (04:00Z), 23 hours.
  const lo = new Date("2026-03-08T05:00:00Z"), hi = new Date("2026-03-09T04:00:00Z");
  const hours = new WindowHours({
    lo,
    hi,
    hourFrom: new Date("2026-03-08T12:00:00Z"),
    hourTo: hi,
    tz: "America/New_York",
  });
  const us = (iso: string) => Date.parse(iso) * 1000;
  assert.equal(hours.of(us("2026-03-08T12:30:00Z")), 0);
  assert.equal(hours.of(us("2026-03-08T05:59:59Z")), 1);
  assert.equal(hours.of(us("2026-03-08T12:00:00Z")), 0, "same hour, same index");
  for (let t = lo.getTime(); t < hi.getTime(); t += 900_000) hours.of(t * 1000);
  assert.equal(hours.length, 23);
  assert.equal(hours.iso[0], "2026-03-08T12:00:00.000000Z");
  assert.equal(hours.written(0), true);
  assert.equal(hours.written(1), false, "before hourFrom");
});

function cells(writes: PendingWrite[], table: string): Record<string, unknown>[] {
  const p = writes.find((w) => w.table === table);
  if (!p || p.format !== "json") return [];
  return JSON.parse(p.data);
}

Deno.test("window aggregator: one pass gives every table's counts and unique clients", () => {
  const w: WindowSpec = {
    nodeId: 1,
    nodeName: "dns1",
    day: "2026-11-25",
    lo: new Date("2026-11-25T00:00:00Z"),
    hi: new Date("2026-11-26T00:00:00Z"),
    hourFrom: new Date("2026-11-25T00:00:00Z"),
    hourTo: new Date("2026-11-26T00:00:00Z"),
    tz: "UTC",
    copy: false,
  };
  const clients = { hashes: ["-5", "3", "9"], ips: ["192.0.2.1", "192.0.2.2", "2001:db8::1"] };
  const agg = new WindowAggregator(w, clients, new CellSink("dns1", w.day, clients.hashes, false));
  const at = (h: number) => Date.UTC(2026, 10, 25, h) * 1000;
  const a = agg.qtypeIndex("A"), aaaa = agg.qtypeIndex("AAAA");
  agg.startDomain("example.com", "a.example.com");
  agg.add(a, 0, at(1), 0, 100);
  agg.add(a, 1, at(1), 1, -1);
  agg.add(aaaa, 0, at(2), 0, 300);
  agg.startDomain("example.com", "b.example.com");
  agg.add(a, 2, at(2), 2, 200);
  agg.startDomain("example.org", "example.org");
  agg.add(a, 0, at(23), 0, -1);
  const writes = agg.finish();
  assert.equal(agg.rows, 5);
  const domains = cells(writes, "dns_daily_domains");
  assert.deepEqual(
    domains.map((r) => [r.domain, r.hit_count, r.unique_clients, r.nxdomain_count]),
    [["a.example.com", "3", "2", "1"], ["b.example.com", "1", "1", "0"], [
      "example.org",
      "1",
      "1",
      "0",
    ]],
  );
  const apexes = cells(writes, "dns_daily_apexes");
  assert.deepEqual(
    apexes.map((r) => [r.apex_domain, r.hit_count, r.unique_clients, r.unique_domains]),
    [["example.com", "4", "3", "2"], ["example.org", "1", "1", "1"]],
  );
  const byClient = cells(writes, "dns_daily_clients").map((r) => [
    r.client_ip,
    r.hit_count,
    r.unique_domains,
  ]);
  assert.deepEqual(byClient, [["192.0.2.1", "3", "2"], ["192.0.2.2", "1", "1"], [
    "2001:db8::1",
    "1",
    "1",
  ]]);
  const qtypes = cells(writes, "dns_daily_qtypes").map((r) => [r.qtype, r.unique_clients]);
  assert.deepEqual(qtypes, [["A", "3"], ["AAAA", "1"]]);
  const [total] = cells(writes, "dns_daily_totals");
  assert.equal(total.hit_count, "5");
  assert.equal(total.unique_clients, "3");
  assert.equal(total.unique_domains, "3");
  assert.equal(total.servfail_count, "1");
  assert.equal(total.client_hashes, "{-5,3,9}");
  assert.equal(total.latency_count, "3");
  assert.equal(total.latency_p50_us, "200");
  const hourly = cells(writes, "dns_hourly_totals").map((r) => [r.stat_hour, r.hit_count]);
  assert.deepEqual(hourly, [
    ["2026-11-25T01:00:00.000000Z", "2"],
    ["2026-11-25T02:00:00.000000Z", "2"],
    ["2026-11-25T23:00:00.000000Z", "1"],
  ]);
});
