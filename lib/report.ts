/**
 * Reports: one SQL file each in `sql/reports/`, printed as a table, JSON (an array of
 * objects keyed by column name) or CSV.
 *
 * @module
 */
import { csvLines } from "./csv.ts";
import type { Sql } from "./db/connect.ts";
import { createZoneClock, dayString, type ZoneClock } from "./time.ts";
import { reportScope } from "./nodes.ts";
import newDomains from "../sql/reports/new_domains.sql" with { type: "text" };
import nodeTotals from "../sql/reports/node_totals.sql" with { type: "text" };
import storage from "../sql/reports/storage.sql" with { type: "text" };
import qtypeMix from "../sql/reports/qtype_mix.sql" with { type: "text" };
import queriesPerHour from "../sql/reports/queries_per_hour.sql" with { type: "text" };
import rcodeRates from "../sql/reports/rcode_rates.sql" with { type: "text" };
import serverCache from "../sql/reports/server_cache.sql" with { type: "text" };
import serverRcodes from "../sql/reports/server_rcodes.sql" with { type: "text" };
import serverRrl from "../sql/reports/server_rrl.sql" with { type: "text" };
import topApexDomains from "../sql/reports/top_apex_domains.sql" with { type: "text" };
import topClients from "../sql/reports/top_clients.sql" with { type: "text" };
import topDomains from "../sql/reports/top_domains.sql" with { type: "text" };
import topNxdomain from "../sql/reports/top_nxdomain.sql" with { type: "text" };
import topServfail from "../sql/reports/top_servfail.sql" with { type: "text" };

/** One report: its SQL, what it shows, whether it takes the zone ($5), its default limit. */
export interface ReportSpec {
  sql: string;
  about: string;
  zone?: boolean;
  limit: number;
}

/** The reports by name. Every one reads the statistics tables. */
export const REPORTS: Readonly<Record<string, ReportSpec>> = {
  "top-domains": { sql: topDomains, about: "queries per domain, most queried first", limit: 20 },
  "top-apex-domains": {
    sql: topApexDomains,
    about: "queries per registrable domain (apex)",
    limit: 20,
  },
  "top-clients": { sql: topClients, about: "queries per client address", limit: 20 },
  "qtype-mix": { sql: qtypeMix, about: "queries per qtype and their share", limit: 100 },
  "rcode-rates": { sql: rcodeRates, about: "share of NOERROR, NXDOMAIN, SERVFAIL, ...", limit: 10 },
  "top-nxdomain": { sql: topNxdomain, about: "names answered NXDOMAIN most often", limit: 20 },
  "top-servfail": { sql: topServfail, about: "names answered SERVFAIL most often", limit: 20 },
  "queries-per-hour": {
    sql: queriesPerHour,
    about: "queries per hour, oldest first",
    zone: true,
    limit: 100_000,
  },
  "new-domains": {
    sql: newDomains,
    about: "domains seen for the first time in the range",
    zone: true,
    limit: 20,
  },
  "node-totals": { sql: nodeTotals, about: "queries per node", limit: 1000 },
  storage: {
    sql: storage,
    about: "bytes on disk by part, per stored query and per day (raw days: --from/--to)",
    limit: 1000,
  },
  "server-rcodes": {
    sql: serverRcodes,
    about: "answers named sent by rcode (its statistics channel)",
    zone: true,
    limit: 100,
  },
  "server-rrl": {
    sql: serverRrl,
    about: "minutes in which rate limiting dropped or slipped answers",
    zone: true,
    limit: 100_000,
  },
  "server-cache": {
    sql: serverCache,
    about: "resolver cache hits and misses per day",
    zone: true,
    limit: 100_000,
  },
};

/** Output format of a report. */
export type ReportFormat = "table" | "json" | "csv";

/** Options of {@linkcode runReport}. */
export interface ReportOptions {
  /** The last N days, today included (in `tz`). */
  days?: number;
  /** First day, `YYYY-MM-DD`, inclusive. */
  from?: string;
  /** Last day, `YYYY-MM-DD`, inclusive. */
  to?: string;
  /** Node names; empty or undefined = all nodes, local and federated. */
  nodes?: string[];
  /** Only nodes at this location (dns_nodes.location, case-insensitive). */
  location?: string;
  /** Only nodes in this network (CIDR: dns_nodes.network or node_ip within it). */
  network?: string;
  limit?: number;
  tz: string;
  now?: Date;
}

/** A report's rows and column names. */
export interface ReportResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The first and last day (inclusive, `YYYY-MM-DD` in `tz`) of a report; null = no bound. */
export function reportDays(options: ReportOptions): [string | null, string | null] {
  if (options.days !== undefined) {
    const clock = createZoneClock(options.tz);
    const today = Math.floor(clock.toWall((options.now ?? new Date()).getTime()) / 86_400_000);
    return [dayString(today - (options.days - 1)), dayString(today)];
  }
  return [options.from ?? null, options.to ?? null];
}

/** An instant as ISO 8601 in `clock`'s zone, with its offset: `2026-11-25T14:03:01.250+03:00`. */
export function formatInstant(date: Date, clock: ZoneClock): string {
  const ms = date.getTime();
  const wall = clock.toWall(ms);
  const off = Math.round((wall - ms) / 60_000);
  const sign = off < 0 ? "-" : "+";
  const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, "0");
  const mm = String(Math.abs(off) % 60).padStart(2, "0");
  return `${new Date(wall).toISOString().slice(0, 23)}${sign}${hh}:${mm}`;
}

/** Run report `name`; times come back as strings in `options.tz`. */
export async function runReport(
  sql: Sql,
  name: string,
  options: ReportOptions,
): Promise<ReportResult> {
  const report = REPORTS[name];
  if (!report) throw new Error(`Unknown report "${name}"`);
  const [from, to] = reportDays(options);
  const params: (string | number | string[] | null)[] = [
    from,
    to,
    await reportScope(sql, options.nodes, { location: options.location, network: options.network }),
    options.limit ?? report.limit,
  ];
  if (report.zone) params.push(options.tz);
  const result = await sql.unsafe(report.sql, params);
  const columns = result.columns.map((c) => c.name);
  // bigint and numeric come back as strings: they are numbers far below 2^53 here.
  const numeric = new Set(
    result.columns.filter((c) => c.type === 20 || c.type === 1700).map((c) => c.name),
  );
  const clock = createZoneClock(options.tz);
  const rows = result.map((r) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = (r as Record<string, unknown>)[c];
      if (numeric.has(c) && typeof v === "string") out[c] = Number(v);
      else if (v instanceof Date) out[c] = formatInstant(v, clock);
      else out[c] = v;
    }
    return out;
  });
  return { columns, rows };
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** Render a report in `format`. */
export function formatReport(result: ReportResult, format: ReportFormat): string {
  if (format === "json") return JSON.stringify(result.rows, null, 0);
  // Formula cells neutralised as in the HTTP export (lib/csv.ts).
  if (format === "csv") return csvLines(result.columns, result.rows).join("\n");
  const widths = result.columns.map((c) =>
    Math.max(c.length, ...result.rows.map((r) => cell(r[c]).length))
  );
  const numeric = result.columns.map((c) => result.rows.every((r) => typeof r[c] === "number"));
  const line = (vals: string[]) =>
    vals.map((v, i) => numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])).join("  ")
      .trimEnd();
  return [
    line(result.columns),
    line(widths.map((w) => "-".repeat(w))),
    ...result.rows.map((r) => line(result.columns.map((c) => cell(r[c])))),
  ].join("\n");
}
