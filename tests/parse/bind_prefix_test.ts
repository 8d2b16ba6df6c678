/**
 * The channel prefix: every time format (BIND local / iso8601 / iso8601-utc, RFC 3164,
 * journal, RFC 3339, `<PRI>`, double timestamp), category/severity, and bad numbers.
 */

import assert from "node:assert/strict";
import { type BindPrefix, parseBindPrefix } from "../../lib/parse/bind_prefix.ts";

const MSG = "client @0x7fd4ba26d098 127.0.0.10#35728 (a.b): query: a.b IN A + (::1)";
const T = Date.UTC(2026, 10, 25, 20, 43, 16, 780);

const CASES: { name: string; head: string; want: Partial<BindPrefix> }[] = [
  {
    name: "print-time local",
    head: "25-Nov-2026 20:43:16.780 ",
    want: { time: T, zoned: false, yearless: false, category: null, severity: null },
  },
  { name: "iso8601", head: "2026-11-25T20:43:16.780 ", want: { time: T, zoned: false } },
  { name: "iso8601-utc", head: "2026-11-25T20:43:16.780Z ", want: { time: T, zoned: true } },
  {
    name: "iso8601-utc with category and severity (not a syslog header)",
    head: "2026-11-25T20:43:16.780Z queries: info: ",
    want: { time: T, zoned: true, category: "queries", severity: "info" },
  },
  {
    name: "RFC 3164 space-padded day",
    head: "Mar  4 10:00:00 dns1 named[123]: ",
    want: { time: Date.UTC(2000, 2, 4, 10, 0, 0), yearless: true, zoned: false },
  },
  {
    name: "RFC 3164 29 Feb survives (year 2000)",
    head: "Feb 29 23:59:59 dns1 named[1]: ",
    want: { time: Date.UTC(2000, 1, 29, 23, 59, 59), yearless: true },
  },
  {
    name: "journal zero-padded day",
    head: "Jun 07 16:37:50 host named[413848]: ",
    want: { time: Date.UTC(2000, 5, 7, 16, 37, 50), yearless: true },
  },
  {
    name: "rsyslog RFC 3339 with offset",
    head: "2023-01-03T15:40:57.342123+01:00 host named[123]: ",
    want: { time: Date.UTC(2023, 0, 3, 14, 40, 57, 342), zoned: true, yearless: false },
  },
  {
    name: "RFC 3339 with Z and a tag without pid",
    head: "2023-01-03T15:40:57Z host named: ",
    want: { time: Date.UTC(2023, 0, 3, 15, 40, 57), zoned: true },
  },
  {
    name: "<PRI> and RFC 3164",
    head: "<30>Mar 11 10:00:00 dns1 named[123]: ",
    want: { time: Date.UTC(2000, 2, 11, 10), yearless: true },
  },
  {
    name: "<PRI> without a host",
    head: "<30>Mar 11 10:00:00 named[123]: ",
    want: { time: Date.UTC(2000, 2, 11, 10), yearless: true },
  },
  {
    name: "double timestamp: BIND time wins",
    head: "Mar  4 10:00:00 dns1 named[123]: 25-Nov-2026 20:43:16.780 ",
    want: { time: T, yearless: false, zoned: false },
  },
  {
    name: "double timestamp with iso8601-utc inside RFC 3339",
    head: "2023-01-03T15:40:57.342123+01:00 host named[123]: 2026-11-25T20:43:16.780Z ",
    want: { time: T, zoned: true },
  },
  {
    name: "syslog with category and severity",
    head: "Mar  4 10:00:00 dns1 named[123]: queries: info: ",
    want: { category: "queries", severity: "info", yearless: true },
  },
  {
    name: "debug 3",
    head: "25-Nov-2026 20:43:16.780 query-errors: debug 3: ",
    want: { category: "query-errors", severity: "debug 3" },
  },
  { name: "severity only", head: "25-Nov-2026 20:43:16.780 error: ", want: { severity: "error" } },
  {
    name: "unknown word is not a category",
    head: "25-Nov-2026 20:43:16.780 ",
    want: { category: null, severity: null },
  },
  { name: "no time at all", head: "", want: { time: null } },
  {
    name: "category without time",
    head: "security: info: ",
    want: { time: null, category: "security" },
  },
];

for (const c of CASES) {
  Deno.test(`parseBindPrefix: ${c.name}`, () => {
    const line = c.head + MSG;
    const got = parseBindPrefix(line);
    assert(!("kind" in got), JSON.stringify(got));
    for (const [key, value] of Object.entries(c.want)) {
      assert.deepEqual(got[key as keyof BindPrefix], value, `${key} of ${JSON.stringify(got)}`);
    }
    assert.equal(line.slice(got.rest), MSG);
  });
}

Deno.test("parseBindPrefix: unknown `word: ` stays in the message", () => {
  const got = parseBindPrefix("25-Nov-2026 20:43:16.780 managed-keys-zone: loaded serial 0");
  assert(!("kind" in got));
  assert.equal(got.category, null);
  assert.equal(got.rest, 25);
});

const BAD = [
  "31-Feb-2026 20:43:16.780 ",
  "29-Feb-2025 20:43:16.780 ",
  "25-Xyz-2026 20:43:16.780 ",
  "25-Nov-2026 24:00:00.000 ",
  "25-Nov-2026 20:60:00.000 ",
  "00-Nov-2026 20:43:16.780 ",
  "2026-13-25T20:43:16.780 ",
  "2026-00-25T20:43:16.780Z ",
  "2026-11-31T20:43:16.780 ",
  "2023-01-03T15:40:57.342+25:00 host named[1]: ",
  "Feb 30 10:00:00 dns1 named[1]: ",
  "Mar  4 25:00:00 dns1 named[1]: ",
];

for (const head of BAD) {
  Deno.test(`parseBindPrefix: bad_timestamp for ${JSON.stringify(head)}`, () => {
    assert.deepEqual(parseBindPrefix(head + MSG), { kind: "rejected", reason: "bad_timestamp" });
  });
}

Deno.test("parseBindPrefix: wall clock matches Date.UTC over many dates", () => {
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  for (let t = Date.UTC(1969, 0, 1); t < Date.UTC(2101, 0, 1); t += 86400000 * 13 + 3723456) {
    const d = new Date(t);
    const p = (n: number, w = 2) => String(n).padStart(w, "0");
    const head = `${p(d.getUTCDate())}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.` +
      `${p(d.getUTCMilliseconds(), 3)} `;
    const got = parseBindPrefix(head + MSG);
    assert(!("kind" in got));
    assert.equal(got.time, t, head);
  }
});
