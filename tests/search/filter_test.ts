import assert from "node:assert/strict";
import {
  escapeLike,
  parseClient,
  parseDomain,
  parseQueryFilter,
  parseTimeBound,
} from "../../lib/search/filter.ts";
import { decodeCursor, encodeCursor } from "../../lib/search/query_search.ts";
import { pageStatement, streamStatement } from "../../lib/search/query_sql.ts";

Deno.test("time bounds: dates are whole days in the zone, timestamps their millisecond", () => {
  assert.equal(parseTimeBound("2026-11-25", "UTC", false), Date.parse("2026-11-25T00:00:00Z"));
  assert.equal(parseTimeBound("2026-11-25", "UTC", true), Date.parse("2026-11-26T00:00:00Z"));
  assert.equal(
    parseTimeBound("2026-11-25", "Africa/Kampala", false),
    Date.parse("2026-11-24T21:00:00Z"),
  );
  assert.equal(
    parseTimeBound("2026-11-25T03:12", "Africa/Kampala", false),
    Date.parse("2026-11-25T00:12:00Z"),
  );
  assert.equal(
    parseTimeBound("2026-11-25 03:12:05.25Z", "Africa/Kampala", true),
    Date.parse("2026-11-25T03:12:05.251Z"),
  );
  assert.equal(
    parseTimeBound("2026-11-25T03:12:05+03:00", "UTC", false),
    Date.parse("2026-11-25T00:12:05Z"),
  );
  for (const bad of ["2026-02-30", "2026-11-25T25:00", "yesterday", "2026-13-01T00:00"]) {
    assert.equal(parseTimeBound(bad, "UTC", false), null, bad);
  }
});

Deno.test("client and domain filters", () => {
  assert.deepEqual(parseClient(" 10.10.10.31 "), { kind: "ip", value: "10.10.10.31" });
  assert.deepEqual(parseClient("fd00::/8"), { kind: "cidr", value: "fd00::/8" });
  assert.deepEqual(parseClient("10.10.10.0/024"), { kind: "cidr", value: "10.10.10.0/24" });
  assert.deepEqual(parseClient("Printer"), { kind: "name", value: "printer" });
  assert.equal(parseClient("10.0.0.0/33"), null);
  assert.equal(parseClient("two words"), null);
  assert.deepEqual(parseDomain("*.Google.COM."), { kind: "suffix", value: "google.com" });
  assert.deepEqual(parseDomain("WWW.Example.com"), { kind: "exact", value: "www.example.com" });
  assert.equal(parseDomain("*."), null);
  assert.equal(escapeLike("a_b%c\\d"), "a\\_b\\%c\\\\d");
});

Deno.test("parseQueryFilter: lists, unknown rcode, errors name the parameter", () => {
  const f = parseQueryFilter(
    { rcode: "refused,unknown", qtype: "a, aaaa", transport: "TCP", node: "dns1,dns2" },
    { tz: "UTC" },
  );
  assert.ok(f.ok);
  assert.deepEqual(f.value.rcodes, ["REFUSED"]);
  assert.equal(f.value.unknownRcode, true);
  assert.deepEqual(f.value.qtypes, ["A", "AAAA"]);
  assert.deepEqual(f.value.transports, ["tcp"]);
  assert.deepEqual(f.value.nodes, ["dns1", "dns2"]);
  for (
    const [input, param] of [
      [{ from: "2026-11-26", to: "2026-11-25" }, "from"],
      [{ qtype: "A;drop" }, "qtype"],
      [{ node: "a b" }, "node"],
      [{ client: "1.2.3.4/40" }, "client"],
      [{ to: "soon" }, "to"],
    ] as const
  ) {
    const r = parseQueryFilter(input, { tz: "UTC" });
    assert.ok(!r.ok);
    assert.equal(r.param, param);
  }
});

Deno.test("statements: only the filters given become conditions, values are parameters", () => {
  const f = parseQueryFilter({ client: "x'; drop table t; --", domain: "*.a_b.com" }, {
    tz: "UTC",
  });
  assert.ok(!f.ok, "a name with spaces is refused");
  const g = parseQueryFilter({ client: "printer", domain: "*.a_b.com" }, { tz: "UTC" });
  assert.ok(g.ok);
  const st = pageStatement(g.value, 10, { at: "2026-11-25T00:00:00.000000Z", key: "k", skip: 0 });
  assert.ok(st.params.includes("%.a\\_b.com"));
  assert.ok(st.params.includes("printer"));
  assert.doesNotMatch(st.text, /printer|a_b/);
  assert.doesNotMatch(st.text, /\/\*(query_where|error_where|rows|page_where|limit)\*\//);
  const none = parseQueryFilter({}, { tz: "UTC" });
  assert.ok(none.ok);
  const all = streamStatement(none.value, null);
  assert.deepEqual(all.params, []);
  assert.match(all.text, /limit all/);
});

Deno.test("cursor round trip; anything else is refused", () => {
  const c = { at: "2026-11-25T20:43:16.780000Z", key: "0123abcd", skip: 2 };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  for (const bad of ["", "garbage", btoa("[1,2,3]"), encodeCursor({ ...c, at: "x" })]) {
    assert.throws(() => decodeCursor(bad), /cursor/);
  }
});
