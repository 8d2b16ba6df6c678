/**
 * The demo's simulated named: its statistics channel's JSON, read over HTTP with
 * lib/server_stats' own reader and parser, gives exactly the counts of the generated traffic
 * (tallied here from the generated queries, not from the counters); its dnstap frames decode
 * with lib/dnstap to the generated queries and answers.
 */
import assert from "node:assert/strict";
import { NamedCounters } from "../../lib/demo/named_counters.ts";
import { dnstapFrames } from "../../lib/demo/dnstap_traffic.ts";
import { startStatsChannel } from "../../lib/demo/stats_channel.ts";
import { type SimulatedQuery, TrafficGenerator } from "../../lib/demo/traffic.ts";
import { FrameDecoder } from "../../lib/dnstap/fstrm.ts";
import { decodeDnstap, MessageType } from "../../lib/dnstap/message.ts";
import { addressText, parseDnsMessage, rcodeName, typeName } from "../../lib/dnstap/wire.ts";
import { parseServerJson, readServerCounters } from "../../lib/server_stats/channel.ts";
import { counterColumns, counterDelta } from "../../lib/server_stats/delta.ts";

const START = Date.parse("2026-11-25T20:00:00Z");

/** `n` queries at 300 a second from `START`. */
function generate(n: number, seed = 5): SimulatedQuery[] {
  const g = new TrafficGenerator(seed);
  return Array.from({ length: n }, (_, i) => {
    const at = START + Math.floor(i * 1000 / 300);
    return g.next(at, at);
  });
}

/** The test's own tally of what named would count. */
function tally(queries: SimulatedQuery[]) {
  const t = {
    requests: queries.length,
    responses: 0,
    dropped: 0,
    slipped: 0,
    hits: 0,
    misses: 0,
    tcp: 0,
    rcodes: {} as Record<string, number>,
    qtypes: {} as Record<string, number>,
  };
  for (const q of queries) {
    t.qtypes[q.qtype] = (t.qtypes[q.qtype] ?? 0) + 1;
    if (/T/.test(q.query.split(" ").at(-2)!)) t.tcp++;
    if (q.answer.rrl === "drop") {
      t.dropped++;
      continue;
    }
    if (q.answer.rrl === "slip") t.slipped++;
    t.responses++;
    t.rcodes[q.answer.rcode] = (t.rcodes[q.answer.rcode] ?? 0) + 1;
    if (q.answer.cache === "hit") t.hits++;
    if (q.answer.cache === "miss") t.misses++;
  }
  return t;
}

Deno.test("demo statistics channel: lib/server_stats reads the generated counts", async () => {
  const queries = generate(20_000);
  const t = tally(queries);
  // The traffic has what the dashboard needs: NXDOMAIN, rate limiting, cache hits and misses.
  assert.ok(t.rcodes.NXDOMAIN > 1000 && t.rcodes.SERVFAIL > 0 && t.rcodes.REFUSED > 0);
  assert.ok(t.dropped > 0 && t.slipped > 0 && t.hits > 0 && t.misses > 0);

  const counters = new NamedCounters({ dnstap: false, bootTime: new Date(START) });
  const channel = startStatsChannel(counters, { now: () => new Date(START + 70_000) });
  try {
    const before = await readServerCounters(channel.url);
    for (const q of queries) counters.add(q);
    const after = await readServerCounters(channel.url, { timeoutMs: 5000 });
    assert.equal(after.bootTime?.getTime(), START);
    const c = after.counters;
    for (const rcode of ["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED"]) {
      assert.equal(c[`rcode.${rcode}`], t.rcodes[rcode], rcode);
    }
    for (const [qtype, n] of Object.entries(t.qtypes)) assert.equal(c[`qtype.${qtype}`], n);
    assert.equal((c["ns.Requestv4"] ?? 0) + (c["ns.Requestv6"] ?? 0), t.requests);
    assert.equal(c["ns.Response"], t.responses);
    assert.equal(c["ns.RateDropped"], t.dropped);
    assert.equal(c["ns.RateSlipped"], t.slipped);
    assert.equal(c["ns.QryTCP"], t.tcp);
    assert.equal(c["ns.QryUDP"], t.requests - t.tcp);
    assert.equal(c["cache.QueryHits"], t.hits);
    assert.equal(c["cache.QueryMisses"], t.misses);

    // The stored columns of the delta between the two readings: the NXDOMAIN share of the
    // answers is the generated one.
    before.sampledAt = new Date(START + 10_000);
    after.sampledAt = new Date(START + 70_000);
    const delta = counterDelta(before, after);
    assert.ok(delta);
    const cols = counterColumns(delta.counters);
    assert.equal(cols.nxdomain_count, t.rcodes.NXDOMAIN);
    assert.equal(cols.responses, t.responses);
    assert.equal(cols.rate_dropped, t.dropped);
    assert.equal(cols.cache_query_hits, t.hits);
    assert.equal(
      cols.noerror_count + cols.nxdomain_count + cols.servfail_count + cols.refused_count,
      t.responses,
    );

    // The XML flavour answers too, with the same NXDOMAIN count.
    const xml = await (await fetch(`${channel.url}/xml/v3/server`)).text();
    assert.match(xml, new RegExp(`<counter name="NXDOMAIN">${t.rcodes.NXDOMAIN}</counter>`));
    const missing = await fetch(`${channel.url}/nothing`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
  } finally {
    await channel.close();
  }
  // The parser takes the JSON object as it is, too.
  const direct = parseServerJson(counters.json(new Date()), new Date());
  assert.equal(direct.counters["rcode.NXDOMAIN"], t.rcodes.NXDOMAIN);
});

Deno.test("demo dnstap frames decode to the generated queries and answers", () => {
  const queries = generate(3000, 9);
  const decoder = new FrameDecoder();
  let responses = 0;
  for (const q of queries) {
    const atUs = 1_764_100_000_000_000;
    const frames = dnstapFrames(q, { atUs, identity: "demo" });
    assert.equal(frames.length, q.answer.rrl === "drop" ? 1 : 2);
    for (const f of frames) decoder.push(f.frame);
    const cq = decoder.next(), cr = frames.length > 1 ? decoder.next() : null;
    assert.equal(cq?.kind, "data");
    const query = decodeDnstap(cq!.kind === "data" ? cq!.payload : new Uint8Array());
    assert.equal(query.type, MessageType.CLIENT_QUERY);
    assert.equal(addressText(query.queryAddress!), q.client);
    assert.equal(query.queryPort, q.port);
    assert.equal(query.transport, q.flags.includes("T") ? "tcp" : "udp");
    assert.equal(query.queryTimeUs, atUs);
    const qm = parseDnsMessage(query.queryMessage!);
    assert.equal(qm?.qname, q.name);
    assert.equal(typeName(qm!.qtype!), q.qtype);
    assert.equal(qm?.id, q.id);
    assert.equal(qm?.rd, q.flags.startsWith("+"));
    assert.equal(qm?.dnssecOk, q.flags.includes("D"));
    assert.equal(qm?.cookie, q.flags.includes("K"));
    if (!cr) continue;
    responses++;
    const response = decodeDnstap(cr.kind === "data" ? cr.payload : new Uint8Array());
    assert.equal(response.type, MessageType.CLIENT_RESPONSE);
    assert.equal(response.responseTimeUs, atUs + q.answer.latencyUs);
    const rm = parseDnsMessage(response.responseMessage!);
    assert.equal(rcodeName(rm!.rcode), q.answer.rcode);
    assert.equal(rm?.tc, q.answer.rrl === "slip");
    assert.equal(rm?.aa, q.answer.cache === "auth");
    assert.equal(rm?.id, q.id);
  }
  assert.equal(decoder.next(), null);
  assert.ok(responses > 0 && responses < queries.length);
});
