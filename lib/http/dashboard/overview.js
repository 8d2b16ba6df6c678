// The overview: traffic over time by rcode, latency, qtypes, rcodes, top lists, nodes, ingest.
import {
  apiUrl,
  nextDay,
  queriesHash,
  rangeDays,
  routeHash,
  zoneMidnight,
  zoneOffset,
} from "./api.js";
import { legend, lineChart, stackedBars } from "./charts.js";
import { fill, fmtAge, fmtBytes, fmtInstant, fmtNumber, fmtPct, fmtSeconds, h } from "./dom.js";
import { COL, panel, panelError, RCODES, stats, table } from "./panels.js";
import { drawCache, drawRrl, rcodeShares, SERVER_NOTE } from "./server.js";

const LIMIT = 25;
const HOUR = 3_600_000;

/**
 * Build the overview into `main` and load its data; `app` gives get(url) and the route.
 * Resolves once every panel is filled (with its data or its error).
 */
export function renderOverview(main, app) {
  const { route } = app;
  const report = (name, extra = {}) => apiUrl(`/api/reports/${name}`, route, extra);
  const link = (view, name) => routeHash({ ...route, view, name });
  const domainLink = (key) => (row) => row[key] ? link("domain", row[key]) : null;
  // Every top-list row links to its query log.
  const log = (filter, key) => ({
    key: `log_${key}`,
    label: "Log",
    format: () => "queries",
    link: (row) => row[key] ? queriesHash(route, { [filter]: row[key] }) : null,
  });

  const urls = {
    totals: report("node-totals"),
    rcodes: report("rcode-rates"),
    hours: report("queries-per-hour"),
    qtypes: report("qtype-mix", { limit: LIMIT }),
    server: report("server-rcodes"),
    rrl: report("server-rrl", { limit: 10000 }),
    cache: report("server-cache"),
  };
  const p = {
    summary: panel("summary", "Summary", { wide: true, csv: urls.totals }),
    traffic: panel("traffic", "Queries over time", { wide: true, csv: urls.hours }),
    latency: panel("latency", "Response time (dnstap)", { wide: true }),
    qtypes: panel("qtypes", "Query types", { csv: urls.qtypes }),
    rcodes: panel("rcodes", "Response codes", { csv: urls.rcodes }),
    rrl: panel("rrl", "Rate limiting (named)", { wide: true, csv: urls.rrl }),
    cache: panel("cache", "Resolver cache (named)", { csv: urls.cache }),
  };
  const lists = [
    ["top-domains", "Top domains", [
      { key: "domain", label: "Domain", link: domainLink("domain") },
      COL.count("hit_count", "Queries"),
      COL.count("unique_clients", "Clients"),
      COL.count("nxdomain_count", "NXDOMAIN"),
      COL.count("servfail_count", "SERVFAIL"),
      log("domain", "domain"),
    ]],
    ["top-apex-domains", "Top apex domains", [
      { key: "apex_domain", label: "Apex domain", link: domainLink("apex_domain") },
      COL.count("hit_count", "Queries"),
      COL.count("unique_clients", "Clients"),
      COL.count("nxdomain_count", "NXDOMAIN"),
      log("apex", "apex_domain"),
    ]],
    ["top-clients", "Top clients", [
      { key: "client_ip", label: "Client", link: (r) => link("client", r.client_ip) },
      { key: "client_name", label: "Name" },
      COL.count("hit_count", "Queries"),
      COL.count("nxdomain_count", "NXDOMAIN"),
      COL.count("servfail_count", "SERVFAIL"),
      COL.instant("last_seen", "Last seen"),
      log("client", "client_ip"),
    ]],
    [
      "top-nxdomain",
      "Top NXDOMAIN",
      [
        { key: "domain", label: "Domain", link: domainLink("domain") },
        COL.count("nxdomain_count", "NXDOMAIN"),
        COL.count("hit_count", "Queries"),
        log("domain", "domain"),
      ],
      "No NXDOMAIN answers known in this range (the query log alone never records them: " +
      "use dnstap or BIND ≥ 9.20.3 response logging).",
    ],
    ["top-servfail", "Top SERVFAIL", [
      { key: "domain", label: "Domain", link: domainLink("domain") },
      COL.count("servfail_count", "SERVFAIL"),
      COL.count("hit_count", "Queries"),
      log("domain", "domain"),
    ]],
    ["new-domains", "New domains", [
      { key: "domain", label: "Domain", link: domainLink("domain") },
      COL.instant("first_seen", "First seen"),
      { key: "node_name", label: "Node" },
      log("domain", "domain"),
    ], "No domain was seen for the first time in this range."],
  ];
  const listPanels = lists.map(([name, title, columns, empty]) => {
    const url = report(name, { limit: LIMIT });
    return { name, url, columns, empty, p: panel(name, title, { csv: url }) };
  });
  const nodesPanel = panel("nodes", "Nodes");
  const healthPanel = panel("health", "Ingest health", { wide: true });
  main.append(
    p.summary.el,
    p.traffic.el,
    p.latency.el,
    p.qtypes.el,
    p.rcodes.el,
    p.rrl.el,
    p.cache.el,
    ...listPanels.map((l) => l.p.el),
    nodesPanel.el,
    healthPanel.el,
  );

  const loads = [];
  const load = (target, promise, draw) =>
    loads.push(
      promise.then((data) => fill(target.body, draw(data, target.body.clientWidth))).catch((e) => {
        if (e?.name !== "AbortError") fill(target.body, panelError(e));
      }),
    );

  const totals = app.get(urls.totals);
  const rcodes = app.get(urls.rcodes);
  // named's counters are optional: without them the summary stays with the statistics.
  const server = app.get(urls.server).catch(() => null);
  load(p.summary, Promise.all([totals, rcodes, server]), ([t, r, s]) => drawSummary(t, r, s));
  load(p.rrl, app.get(urls.rrl), drawRrl);
  load(p.cache, app.get(urls.cache), drawCache);
  const hours = app.get(urls.hours);
  hours.then((r) => app.showRange(r)).catch(() => {});
  load(p.traffic, hours, (r, width) => drawTraffic(r, route, width));
  load(p.latency, hours, drawLatency);
  load(p.qtypes, app.get(urls.qtypes), (r) =>
    table(r.rows, [
      { key: "qtype", label: "Type" },
      COL.count("hit_count", "Queries"),
      { ...COL.pct("share_pct", "Share"), bar: (row) => row.share_pct / 100 },
      log("qtype", "qtype"),
    ]));
  load(p.rcodes, rcodes, (r) =>
    table(r.rows, [
      { key: "rcode", label: "Rcode" },
      COL.count("hit_count", "Queries"),
      {
        ...COL.pct("rate_pct", "Share"),
        bar: (row) => row.rate_pct / 100,
        barKey: "share",
      },
      {
        ...log("rcode", "rcode"),
        link: (row) =>
          row.rcode && row.rcode !== "other" ? queriesHash(route, { rcode: row.rcode }) : null,
      },
    ]));
  for (const l of listPanels) {
    load(l.p, app.get(l.url), (r) => table(r.rows, l.columns, { empty: l.empty }));
  }
  load(nodesPanel, Promise.all([app.get("/api/nodes"), totals]), ([n, t]) => drawNodes(n, t));
  load(healthPanel, app.get("/api/health"), drawHealth);
  return Promise.all(loads);
}

function drawSummary(totals, rcodes, server) {
  const hits = totals.rows.reduce((a, r) => a + (r.hit_count ?? 0), 0);
  const shares = rcodeShares(rcodes, server);
  const rate = shares.rate;
  const note = shares.source === "named" ? SERVER_NOTE : undefined;
  const items = [
    { label: "Queries", value: fmtNumber(hits) },
    { label: "Nodes reporting", value: fmtNumber(totals.rows.length) },
  ];
  if (totals.rows.length === 1) {
    items.push({ label: "Clients", value: fmtNumber(totals.rows[0].unique_clients) });
  }
  items.push(
    { label: "NOERROR", value: fmtPct(rate("NOERROR")), note },
    { label: "NXDOMAIN", value: fmtPct(rate("NXDOMAIN")), note },
    { label: "SERVFAIL", value: fmtPct(rate("SERVFAIL")), warn: rate("SERVFAIL") >= 5, note },
    { label: "REFUSED", value: fmtPct(rate("REFUSED")), note },
  );
  if (shares.source === "statistics" && rate("unknown") > 0) {
    items.push({
      label: "rcode unknown",
      value: fmtPct(rate("unknown")),
      note: "the query log records no answer code; dnstap does",
    });
  }
  return stats(items);
}

/** Wall-clock "YYYY-MM-DDTHH" of instant `t` in zone `tz`. */
function wallHour(t, tz) {
  return new Date(t + zoneOffset(t, tz)).toISOString().slice(0, 13);
}

/**
 * Buckets of queries-per-hour rows: hourly up to 7 days (none after `now`), else daily sums.
 * @returns {{ buckets: { label: string, title: string, values: Record<string, number> }[],
 *   unit: "hour" | "day" }}
 */
export function timeBuckets(report, route, now = Date.now()) {
  const values = (row) => Object.fromEntries(RCODES.map((c) => [c.key, row[c.column] ?? 0]));
  const add = (b, row) => {
    for (const c of RCODES) b.values[c.key] = (b.values[c.key] ?? 0) + (row[c.column] ?? 0);
  };
  if (rangeDays(route.range) > 7) {
    const buckets = [];
    const index = new Map();
    for (let d = report.from; d <= report.to && buckets.length < 40000; d = nextDay(d)) {
      index.set(d, buckets.length);
      buckets.push({ label: d.slice(5), title: d, values: {} });
    }
    for (const row of report.rows) {
      const i = index.get(String(row.stat_hour).slice(0, 10));
      if (i !== undefined) add(buckets[i], row);
    }
    return { buckets, unit: "day" };
  }
  const start = zoneMidnight(report.from, report.tz);
  const dayEnd = zoneMidnight(nextDay(report.to), report.tz);
  let n = Math.max(
    1,
    Math.round((Math.min(dayEnd, Math.ceil(now / HOUR) * HOUR) - start) / HOUR),
  );
  const placed = report.rows.map((
    row,
  ) => [Math.round((Date.parse(row.stat_hour) - start) / HOUR), row]);
  for (const [i] of placed) if (i >= n) n = i + 1;
  const buckets = Array.from({ length: n }, (_, i) => {
    const wall = wallHour(start + i * HOUR, report.tz);
    const hh = wall.slice(11, 13);
    return {
      label: hh === "00" ? wall.slice(5, 10) : `${hh}:00`,
      title: `${wall.slice(0, 10)} ${hh}:00`,
      values: {},
    };
  });
  for (const [i, row] of placed) {
    if (i >= 0 && i < n) buckets[i].values = values(row);
  }
  return { buckets, unit: "hour" };
}

function drawTraffic(report, route, width) {
  if (report.rows.length === 0) {
    return h("p", { class: "muted empty" }, "No queries in this range.");
  }
  const { buckets, unit } = timeBuckets(report, route);
  const present = RCODES.filter((c) => report.rows.some((r) => (r[c.column] ?? 0) > 0));
  return h(
    "div",
    {},
    stackedBars(buckets, present, { label: `queries per ${unit} by rcode`, width }),
    h(
      "div",
      { class: "chart-foot" },
      legend(present),
      h("span", { class: "muted" }, `per ${unit}, ${report.tz}`),
    ),
  );
}

const LATENCY = [
  { key: "p50", column: "latency_p50_us", label: "p50" },
  { key: "p95", column: "latency_p95_us", label: "p95" },
  { key: "p99", column: "latency_p99_us", label: "p99" },
];

function drawLatency(report, width) {
  const rows = report.rows.filter((r) => LATENCY.some((l) => typeof r[l.column] === "number"));
  if (rows.length === 0) {
    return h(
      "p",
      { class: "muted empty" },
      "No latency: needs dnstap (the query log does not record response times).",
    );
  }
  const points = rows.map((r) => ({
    t: Date.parse(r.stat_hour) + HOUR / 2, // the middle of its hour, as the bars
    label: `${fmtInstant(r.stat_hour).slice(0, 13)}:00`,
    values: Object.fromEntries(
      LATENCY.map((l) => [l.key, typeof r[l.column] === "number" ? r[l.column] / 1000 : null]),
    ),
  }));
  const from = zoneMidnight(report.from, report.tz);
  const to = Math.min(zoneMidnight(nextDay(report.to), report.tz), Date.now());
  const long = to - from > 2 * 86_400_000;
  const tickLabel = (t) => {
    const wall = wallHour(t, report.tz);
    return long
      ? wall.slice(5, 10)
      : wall.slice(11, 13) === "00"
      ? wall.slice(5, 10)
      : `${wall.slice(11, 13)}:00`;
  };
  // Ticks on whole hours (or days) of the zone.
  const ticks = (n) => {
    const hours = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168, 336, 720]
      .find((st) => st * n * HOUR >= to - from) ?? 720;
    const out = [];
    for (let t = from; t <= to && out.length <= n + 1; t += hours * HOUR) out.push(t);
    return out;
  };
  const ms = (v) => `${Number(v.toPrecision(3))} ms`;
  return h(
    "div",
    {},
    lineChart(points, LATENCY, {
      ticks,
      label: "response time percentiles per hour",
      yFormat: ms,
      width,
      from,
      to: Math.max(to, points.at(-1).t),
      tickLabel,
    }),
    h("div", { class: "chart-foot" }, legend(LATENCY), h("span", { class: "muted" }, "per hour")),
  );
}

function drawNodes(nodes, totals) {
  const byName = new Map(totals.rows.map((r) => [r.node_name, r]));
  const rows = nodes.nodes.map((n) => ({
    ...n,
    hit_count: byName.get(n.node_name)?.hit_count ?? 0,
    share_pct: byName.get(n.node_name)?.share_pct ?? 0,
  }));
  return table(rows, [
    { key: "node_name", label: "Node" },
    { key: "node_ip", label: "Address" },
    { key: "location", label: "Location" },
    {
      key: "active",
      label: "Active",
      format: (v) => v === false ? "no" : v === true ? "yes" : "–",
    },
    COL.count("hit_count", "Queries"),
    {
      key: "last_stat_at",
      label: "Statistics up to",
      format: (v) => v ? `${fmtInstant(v)} (${fmtAge(v)})` : "none",
    },
    { key: "last_commit_at", label: "Last ingest", format: (v) => v ? fmtAge(v) : "–" },
  ], { empty: "No node is registered yet." });
}

function drawHealth(health) {
  const i = health.ingest ?? {};
  const lag = i.lag_seconds;
  const reasons = Object.entries(i.reasons ?? {}).map(([reason, count]) => ({ reason, count }));
  return h(
    "div",
    {},
    stats([
      { label: "Database", value: health.database ?? "–", warn: health.database !== "ok" },
      { label: "Node", value: `${health.node ?? "–"} (${health.source ?? "–"})` },
      { label: "Lag", value: fmtSeconds(lag), warn: lag > 300 },
      { label: "Behind", value: fmtBytes(i.behind_bytes), warn: i.behind_bytes > 64 * 1024 * 1024 },
      { label: "Last commit", value: fmtAge(i.last_commit_at) },
      { label: "Lines read", value: fmtNumber(i.lines) },
      { label: "Rows stored", value: fmtNumber(i.rows) },
      { label: "Rejected", value: fmtNumber(i.rejected), warn: i.rejected > 0 },
      { label: "Skipped", value: fmtNumber(i.skipped) },
    ]),
    reasons.length > 0
      ? h(
        "div",
        {},
        h("h3", {}, "Rejects by reason"),
        table(reasons, [
          { key: "reason", label: "Reason" },
          COL.count("count", "Lines"),
        ]),
      )
      : null,
    h("h3", {}, "Recent jobs"),
    table(health.jobs ?? [], [
      { key: "job", label: "Job" },
      { key: "status", label: "Status" },
      COL.instant("started_at", "Started"),
      COL.instant("finished_at", "Finished"),
      COL.count("rows", "Rows"),
      { key: "error", label: "Error" },
    ], { empty: "No job has run yet." }),
  );
}
