/**
 * Reports: one SQL file each in `sql/reports/`, printed as a table, JSON (an array of
 * objects keyed by column name) or CSV.
 *
 * @module
 */
import type { Sql } from "./db/connect.ts";
import { createZoneClock, dayString } from "./time.ts";
import topDomains from "../sql/reports/top_domains.sql" with { type: "text" };

/** The reports by name, each its SQL text. */
export const REPORTS: Readonly<Record<string, { sql: string; about: string }>> = {
  "top-domains": { sql: topDomains, about: "queries per domain, most queried first" },
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
  node?: string;
  limit?: number;
  tz: string;
  now?: Date;
}

/** A report's rows and column names. */
export interface ReportResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The [from, to) instants of a day range in `tz`; null bounds mean "no bound". */
export function reportRange(options: ReportOptions): [Date | null, Date | null] {
  const clock = createZoneClock(options.tz);
  const midnight = (day: string) => new Date(clock.toEpoch(Date.parse(`${day}T00:00:00Z`)));
  const nextDay = (day: string) => dayString(Date.parse(`${day}T00:00:00Z`) / 86_400_000 + 1);
  if (options.days !== undefined) {
    const today = dayString(
      Math.floor(clock.toWall((options.now ?? new Date()).getTime()) / 86_400_000),
    );
    const first = dayString(Date.parse(`${today}T00:00:00Z`) / 86_400_000 - (options.days - 1));
    return [midnight(first), midnight(nextDay(today))];
  }
  return [
    options.from ? midnight(options.from) : null,
    options.to ? midnight(nextDay(options.to)) : null,
  ];
}

/** Run report `name`. */
export async function runReport(
  sql: Sql,
  name: string,
  options: ReportOptions,
): Promise<ReportResult> {
  const report = REPORTS[name];
  if (!report) throw new Error(`Unknown report "${name}"`);
  const [from, to] = reportRange(options);
  const result = await sql.unsafe(report.sql, [
    from,
    to,
    options.node ?? null,
    options.limit ?? 20,
  ]);
  const columns = result.columns.map((c) => c.name);
  const int8 = new Set(result.columns.filter((c) => c.type === 20).map((c) => c.name));
  const rows = result.map((r) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = (r as Record<string, unknown>)[c];
      out[c] = int8.has(c) && typeof v === "string" ? Number(v) : v;
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
  if (format === "csv") {
    const q = (s: string) => /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    return [
      result.columns.map(q).join(","),
      ...result.rows.map((r) => result.columns.map((c) => q(cell(r[c]))).join(",")),
    ].join("\n");
  }
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
