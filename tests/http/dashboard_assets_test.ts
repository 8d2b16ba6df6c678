/**
 * The dashboard's files as the server gets them (DASHBOARD_ASSETS): every file present with
 * its Content-Type, nothing that the strict CSP would block, no HTML built from data, nothing
 * loaded from elsewhere; and the pure parts of the page's scripts (routes, time buckets).
 */

import assert from "node:assert/strict";
import { DASHBOARD_ASSETS } from "../../lib/http/dashboard/assets.ts";
import {
  apiUrl,
  nextDay,
  parseRoute,
  rangeDays,
  routeHash,
  zoneMidnight,
} from "../../lib/http/dashboard/api.js";
import { timeBuckets } from "../../lib/http/dashboard/overview.js";
import { niceTicks } from "../../lib/http/dashboard/charts.js";
import {
  fmtAge,
  fmtBytes,
  fmtInstant,
  fmtNumber,
  fmtPct,
  fmtSeconds,
} from "../../lib/http/dashboard/dom.js";

const html = DASHBOARD_ASSETS.get("/")!.body;
const scripts = [...DASHBOARD_ASSETS].filter(([path]) => path.endsWith(".js"));

Deno.test("dashboard assets: each file with its Content-Type, keyed by URL path", () => {
  const expected: Record<string, RegExp> = {
    "/": /^text\/html; charset=utf-8$/,
    "/assets/app.js": /^text\/javascript(; charset=utf-8)?$/,
    "/assets/app.css": /^text\/css(; charset=utf-8)?$/,
    "/assets/favicon.svg": /^image\/svg\+xml$/,
  };
  for (const [path, type] of Object.entries(expected)) {
    const asset = DASHBOARD_ASSETS.get(path);
    assert.ok(asset, `${path} is missing`);
    assert.match(asset.type, type, path);
    assert.ok(asset.body.length > 100, `${path} is empty`);
  }
  for (const [path, asset] of DASHBOARD_ASSETS) {
    assert.ok(path === "/" || /^\/assets\/[a-z0-9_-]+\.(js|css|svg)$/.test(path), path);
    if (path.endsWith(".js")) assert.match(asset.type, /^text\/javascript/, path);
  }
  assert.ok(!DASHBOARD_ASSETS.has("/login"), "/login is the server's page, not an asset");
  assert.ok(scripts.length >= 1);
});

Deno.test("dashboard page: no inline script or style, only /assets/ references", () => {
  assert.match(html, /<meta name="viewport" content="width=device-width/);
  // Every <script> has a src; no <style> element; no style or on* attributes.
  const scriptTags = [...html.matchAll(/<script\b([^>]*)>/gi)];
  assert.ok(scriptTags.length >= 1);
  for (const [, attrs] of scriptTags) assert.match(attrs, /\bsrc="\/assets\/[^"]+\.js"/);
  assert.doesNotMatch(html, /<script\b[^>]*>[^<]+<\/script>/i, "inline script");
  assert.doesNotMatch(html, /<style\b/i, "style element");
  assert.doesNotMatch(html, /\sstyle\s*=/i, "style attribute");
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, "event handler attribute");
  assert.doesNotMatch(html, /javascript:/i);
  // src and href point at /assets/ (or the page's own routes and form target).
  const refs = [...html.matchAll(/\b(?:src|href|action)="([^"]*)"/gi)].map((m) => m[1]);
  assert.ok(refs.length >= 3);
  for (const ref of refs) {
    assert.ok(/^\/assets\/[a-z0-9_-]+\.(js|css|svg)$/.test(ref) || /^#\/?$|^\/$/.test(ref), ref);
    if (ref.startsWith("/assets/")) assert.ok(DASHBOARD_ASSETS.has(ref), `${ref} not served`);
  }
});

Deno.test("dashboard scripts: no HTML from strings, nothing from elsewhere, imports served", () => {
  let imports = 0, fetches = 0;
  for (const [path, { body }] of scripts) {
    for (const bad of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"]) {
      assert.ok(!body.includes(bad), `${path} uses ${bad}`);
    }
    assert.doesNotMatch(body, /\beval\s*\(|new Function\s*\(/, `${path}: eval`);
    assert.doesNotMatch(body, /setAttribute\(\s*["']style["']/, `${path}: style attribute`);
    // The only absolute URL allowed is the SVG namespace name, which is never fetched.
    const urls = body.match(/https?:\/\/[^\s"'`)]*/g) ?? [];
    for (const u of urls) assert.equal(u, "http://www.w3.org/2000/svg", `${path} names ${u}`);
    assert.doesNotMatch(body, /["'`]\/\/[a-z0-9]/i, `${path}: protocol-relative URL`);
    for (const [, spec] of body.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gm)) {
      assert.match(spec, /^\.\/[a-z0-9_-]+\.js$/, `${path} imports ${spec}`);
      assert.ok(DASHBOARD_ASSETS.has(`/assets/${spec.slice(2)}`), `${path}: ${spec} not served`);
      imports++;
    }
    // Every API call sends the cookie of the same origin.
    for (const call of body.matchAll(/\bfetch\(([^;]*?)\)/gs)) {
      assert.match(call[1], /credentials: "same-origin"/, `${path}: fetch without credentials`);
      fetches++;
    }
  }
  assert.ok(imports >= scripts.length - 1, `only ${imports} imports seen`);
  assert.ok(fetches >= 1, "no fetch call seen");
  const css = DASHBOARD_ASSETS.get("/assets/app.css")!.body;
  assert.doesNotMatch(css, /@import|url\(\s*["']?(https?:)?\/\//i);
  assert.match(css, /prefers-color-scheme: dark/);
});

Deno.test("dashboard routes: parse and build round trip, bad values fall back", () => {
  const cases = [
    { view: "overview", name: null, range: { days: 7 }, nodes: [] },
    { view: "overview", name: null, range: { from: "2026-11-01", to: "2026-11-25" }, nodes: [] },
    {
      view: "domain",
      name: "<img src=x onerror=alert(1)>.example",
      range: { days: 30 },
      nodes: ["dns1"],
    },
    { view: "domain", name: "a/b?c#d.example", range: { days: 1 }, nodes: ["dns1", "dns2"] },
    { view: "client", name: "2001:db8::1", range: { days: 90 }, nodes: [] },
    { view: "overview", name: null, range: { days: 7 }, nodes: [], location: "Raxio DSM" },
    { view: "overview", name: null, range: { days: 2 }, nodes: [], network: "10.10.10.0/24" },
    {
      view: "domain",
      name: "example.com",
      range: { days: 7 },
      nodes: ["dns1"],
      location: "home",
      network: "fd00:238::/64",
    },
  ];
  for (const route of cases) {
    const hash = routeHash(route);
    assert.equal(hash.indexOf("#", 1), -1, hash);
    assert.deepEqual(parseRoute(hash), route, hash);
  }
  assert.deepEqual(parseRoute(""), { view: "overview", name: null, range: { days: 7 }, nodes: [] });
  assert.deepEqual(parseRoute("#/?days=0").range, { days: 7 });
  assert.deepEqual(parseRoute("#/?days=abc").range, { days: 7 });
  assert.deepEqual(parseRoute("#/?from=2026-1-1&to=2026-01-02").range, { days: 7 });
  assert.deepEqual(parseRoute("#/domain/").view, "overview");
  // The location and network filters reach every API call.
  assert.equal(
    apiUrl("/api/reports/top-domains", parseRoute("#/?days=2&location=home&network=10.0.0.0/8")),
    "/api/reports/top-domains?days=2&location=home&network=10.0.0.0%2F8",
  );
  assert.equal(rangeDays({ from: "2026-02-27", to: "2026-03-01" }), 3);
  assert.equal(rangeDays({ days: 30 }), 30);
  assert.equal(nextDay("2028-02-28"), "2028-02-29");
});

Deno.test("dashboard time: midnight of a zone, hourly and daily buckets", () => {
  assert.equal(
    new Date(zoneMidnight("2026-11-25", "UTC")).toISOString(),
    "2026-11-25T00:00:00.000Z",
  );
  assert.equal(
    new Date(zoneMidnight("2026-11-25", "Africa/Kampala")).toISOString(),
    "2026-11-24T21:00:00.000Z",
  );
  // The day DST starts in New York has 23 hours.
  const ny = "America/New_York";
  assert.equal(zoneMidnight("2026-03-09", ny) - zoneMidnight("2026-03-08", ny), 23 * 3_600_000);

  const NOW = Date.parse("2026-12-01T00:00:00Z");
  const row = (hour: string, n: number) => ({
    stat_hour: hour,
    hit_count: n,
    noerror_count: n - 1,
    nxdomain_count: 1,
    servfail_count: 0,
    refused_count: 0,
    other_count: 0,
    unknown_count: 0,
  });
  const report = {
    from: "2026-11-24",
    to: "2026-11-25",
    tz: "Africa/Kampala",
    rows: [row("2026-11-24T00:00:00.000+03:00", 5), row("2026-11-25T23:00:00.000+03:00", 7)],
  };
  const hourly = timeBuckets(report, { range: { from: report.from, to: report.to } }, NOW);
  assert.equal(hourly.unit, "hour");
  assert.equal(hourly.buckets.length, 48);
  assert.deepEqual(hourly.buckets[0].values, {
    noerror: 4,
    nxdomain: 1,
    servfail: 0,
    refused: 0,
    other: 0,
    unknown: 0,
  });
  assert.equal(hourly.buckets[0].label, "11-24");
  assert.equal(hourly.buckets[1].label, "01:00");
  assert.equal(hourly.buckets[47].title, "2026-11-25 23:00");
  assert.equal(hourly.buckets[47].values.noerror, 6);

  const long = { ...report, from: "2026-11-01", to: "2026-11-30" };
  long.rows = [...report.rows, row("2026-11-24T13:00:00.000+03:00", 3)];
  const daily = timeBuckets(long, { range: { from: long.from, to: long.to } }, NOW);
  assert.equal(daily.unit, "day");
  assert.equal(daily.buckets.length, 30);
  assert.equal(daily.buckets[23].title, "2026-11-24");
  assert.equal(daily.buckets[23].values.noerror, 4 + 2);
  assert.equal(daily.buckets[24].values.nxdomain, 1);
  assert.equal(daily.buckets[0].values.noerror, undefined);
});

Deno.test("dashboard charts: axis ticks cover the maximum with round steps", () => {
  assert.deepEqual(niceTicks(0), [0, 1]);
  assert.deepEqual(niceTicks(41218), [0, 20000, 40000, 60000]);
  assert.deepEqual(niceTicks(4), [0, 1, 2, 3, 4]);
  assert.deepEqual(niceTicks(0.7), [0, 0.2, 0.4, 0.6, 0.8]);
});

Deno.test("dashboard formats: counts, shares, instants, ages, sizes", () => {
  assert.equal(fmtNumber(42217), "42,217");
  assert.equal(fmtNumber(null), "–");
  assert.equal(fmtPct(3.4711), "3.47 %");
  assert.equal(fmtPct(59.1), "59.1 %");
  assert.equal(fmtInstant("2026-11-25T20:43:16.780+03:00"), "2026-11-25 20:43:16");
  assert.equal(fmtInstant(null), "–");
  const now = Date.parse("2026-11-26T03:00:00Z");
  assert.equal(fmtAge("2026-11-26T02:59:30.000+00:00", now), "30 s ago");
  assert.equal(fmtAge("2026-11-26T05:50:00.000+03:00", now), "10 min ago");
  assert.equal(fmtAge("2026-11-25T20:00:00.000+00:00", now), "7 h ago");
  assert.equal(fmtAge("2026-11-20T03:00:00.000+00:00", now), "6 d ago");
  assert.equal(fmtAge(null, now), "never");
  assert.equal(fmtSeconds(0), "0 s");
  assert.equal(fmtBytes(512), "512 B");
  assert.equal(fmtBytes(3.5 * 1024 * 1024), "3.5 MiB");
});
