// Panels from named's own counters (its statistics channel, DNSA_NAMED_STATS): the answers it
// sent by rcode (for the summary, where the query log records no rcode), responses dropped or
// slipped by response rate limiting, and the resolver cache's hit ratio.
import { legend, lineChart } from "./charts.js";
import { fmtInstant, fmtNumber, fmtPct, h } from "./dom.js";
import { COL, stats, table } from "./panels.js";

/** Where the summary's rcode shares come from: the statistics or named's counters. */
export const SERVER_NOTE = "from named's statistics channel: every answer the server sent";

/**
 * The summary's rcode shares. The statistics' shares when they know the rcode of every query;
 * otherwise (the query log) named's own counts when there are any, said so in a note.
 * @returns {{ source: "statistics" | "named", rate: (rcode: string) => number }}
 */
export function rcodeShares(rcodes, server) {
  const fromStats = (name) => rcodes.rows.find((r) => r.rcode === name)?.rate_pct ?? 0;
  const answered = (server?.rows ?? []).reduce((a, r) => a + (r.responses ?? 0), 0);
  if (fromStats("unknown") > 0 && answered > 0) {
    return {
      source: "named",
      rate: (name) => server.rows.find((r) => r.rcode === name)?.rate_pct ?? 0,
    };
  }
  return { source: "statistics", rate: fromStats };
}

const RRL = [
  { key: "servfail", column: "rate_dropped", label: "dropped" },
  { key: "nxdomain", column: "rate_slipped", label: "slipped (truncated)" },
];

/** The RRL panel: totals and answers dropped or slipped per minute. */
export function drawRrl(report, width) {
  const rows = report.rows;
  if (rows.length === 0) {
    return h(
      "p",
      { class: "muted empty" },
      "No answer was dropped or slipped by rate limiting in this range (or named's " +
        "statistics channel is not read: set DNSA_NAMED_STATS).",
    );
  }
  const sum = (k) => rows.reduce((a, r) => a + (r[k] ?? 0), 0);
  const worst = rows.reduce((a, r) => (r.rate_dropped ?? 0) > (a.rate_dropped ?? 0) ? r : a);
  const points = rows.map((r) => ({
    t: Date.parse(r.stat_minute),
    label: fmtInstant(r.stat_minute),
    values: Object.fromEntries(RRL.map((s) => [s.key, r[s.column] ?? 0])),
  }));
  return h(
    "div",
    {},
    stats([
      { label: "Dropped", value: fmtNumber(sum("rate_dropped")), warn: sum("rate_dropped") > 0 },
      { label: "Slipped", value: fmtNumber(sum("rate_slipped")) },
      {
        label: "Dropped of queries",
        value: fmtPct(
          Math.round(10000 * sum("rate_dropped") / Math.max(1, sum("requests"))) / 100,
        ),
        note: "in the minutes with drops",
      },
      {
        label: "Worst minute",
        value: fmtNumber(worst.rate_dropped),
        note: fmtInstant(worst.stat_minute),
      },
    ]),
    lineChart(points, RRL, { label: "answers dropped and slipped per minute", width }),
    h(
      "div",
      { class: "chart-foot" },
      legend(RRL),
      h("span", { class: "muted" }, "per minute with rate limiting, named's counters"),
    ),
  );
}

/** What the cache panel says of the query rows' `cached` column. */
export const CACHED_NOTE = "From the server's cache counters (named's statistics channel). " +
  "Single queries carry no cache flag: BIND's query log and dnstap do not say whether an " +
  "answer came from the cache, so the query log's cached column is empty.";

/** The cache panel: the hit ratio of client queries, and per day. */
export function drawCache(report) {
  const rows = report.rows;
  const hits = rows.reduce((a, r) => a + (r.query_hits ?? 0), 0);
  const misses = rows.reduce((a, r) => a + (r.query_misses ?? 0), 0);
  if (rows.length === 0 || hits + misses === 0) {
    return h(
      "div",
      {},
      h(
        "p",
        { class: "muted empty" },
        "No cache lookups known in this range (needs named's statistics channel: " +
          "set DNSA_NAMED_STATS).",
      ),
      h("p", { class: "muted note" }, CACHED_NOTE),
    );
  }
  return h(
    "div",
    {},
    stats([
      { label: "Cache hit ratio", value: fmtPct(Math.round(10000 * hits / (hits + misses)) / 100) },
      { label: "Answered from cache", value: fmtNumber(hits) },
      { label: "Not in cache", value: fmtNumber(misses) },
    ]),
    table(rows, [
      { key: "stat_date", label: "Day" },
      COL.count("requests", "Queries"),
      COL.count("query_hits", "Hits"),
      COL.count("query_misses", "Misses"),
      {
        ...COL.pct("hit_ratio_pct", "Hit ratio"),
        bar: (row) => (row.hit_ratio_pct ?? 0) / 100,
        barKey: "noerror",
      },
    ]),
    h("p", { class: "muted note" }, CACHED_NOTE),
  );
}
