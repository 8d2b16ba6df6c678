/**
 * Drill-downs over the raw queries: a client's top domains, qtypes and rcodes; a domain's top
 * clients. Exact wherever raw rows are kept (DNSA_RETENTION_DAYS); for the part of a range
 * before the oldest raw day the answer says so and adds what the statistics still know (a
 * client's or a domain's daily totals, never which domains or clients they were).
 *
 * @example
 * ```ts
 * const f = parseQueryFilter({ client: "10.10.10.31", from: "2026-11-01" }, { tz: "UTC" });
 * if (f.ok) console.log((await drilldown(sql, f.value, "domain", { limit: 20, tz: "UTC" })).rows);
 * ```
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { RETENTION_SQL } from "../db/statements.ts";
import { formatInstant } from "../report.ts";
import { createZoneClock } from "../time.ts";
import type { QueryFilter } from "./filter.ts";
import type { TOP_KEYS } from "./query_sql.ts";
import { topByStatement } from "./top_sql.ts";
import { drillSideStatement, keyedTopStatement } from "./drill_keyed.ts";
import clientTotalsBefore from "../../sql/search/client_totals_before.sql" with { type: "text" };
import domainTotalsBefore from "../../sql/search/domain_totals_before.sql" with { type: "text" };
import namesOf from "../../sql/search/names_of.sql" with { type: "text" };

/** What a drill-down counts by. */
export type DrillKey = keyof typeof TOP_KEYS;

const RCODE_COLUMNS = [
  "hit_count",
  "noerror_count",
  "nxdomain_count",
  "servfail_count",
  "refused_count",
  "other_count",
  "unknown_count",
  "first_seen",
  "last_seen",
];

/** The columns of a drill-down's rows for each key. */
export const DRILL_COLUMNS: Readonly<Record<DrillKey, readonly string[]>> = {
  domain: ["domain", "apex_domain", ...RCODE_COLUMNS],
  qtype: ["qtype", ...RCODE_COLUMNS],
  rcode: ["response_rcode", "hit_count", "first_seen", "last_seen"],
  client: ["client_ip", "client_name", ...RCODE_COLUMNS],
};

/** Where raw rows end and what the statistics say of the range before. */
export interface Coverage {
  /** The first day (in DNSA_LOG_TZ) that has raw rows; null: no raw rows at all. */
  raw_from: string | null;
  /** True when the search's range starts before raw_from (or has no start). */
  before_raw: boolean;
  /** What the statistics know of the subject before raw_from (one client or one domain). */
  statistics_before: Record<string, unknown> | null;
  note: string | null;
}

/** A drill-down's rows and its coverage. */
export interface DrillResult {
  columns: readonly string[];
  rows: Record<string, unknown>[];
  coverage: Coverage;
}

/** Options of {@linkcode drilldown}. */
export interface DrillOptions {
  limit: number;
  tz: string;
  /**
   * Count with the general statement (lib/search/top_sql.ts) even where the statement of one
   * value (lib/search/drill_keyed.ts) applies; the tests compare the two.
   */
  general?: boolean;
}

/**
 * Run at the start of a drill-down's transaction: the settings of a page's (lib/search/
 * page_walk.ts: the block summaries by their GIN indexes, no JIT), and the rows counted by
 * hashing their key rather than by sorting them (the planner expects a few rows; a busy
 * client's week is half a million, whose sort on a text key took a fifth of the time).
 */
const DRILL_SETTINGS = "select set_config('enable_seqscan', 'off', true), " +
  "set_config('jit', 'off', true), set_config('enable_sort', 'off', true)";

/** Count the search's raw rows by `key`, most queried first. */
export async function drilldown(
  sql: Sql,
  filter: QueryFilter,
  key: DrillKey,
  options: DrillOptions,
): Promise<DrillResult> {
  const keyed = options.general ? null : keyedTopStatement(filter, key, options.limit);
  const got = await sql.begin(async (tx) => {
    await tx.unsafe(DRILL_SETTINGS);
    if (keyed !== null) {
      // Staged rows and orphan lines are few, but only the general statement reads them.
      const side = drillSideStatement(filter);
      // deno-lint-ignore no-explicit-any
      const [{ side: has }] = await tx.unsafe(side.text, side.params as any[]);
      if (!has) {
        // A read replica of a primary that has not migrated to 0034 yet has no
        // dnsa_block_rows_at: the general statement then, after the savepoint.
        try {
          return await tx.savepoint(async (sp) =>
            // deno-lint-ignore no-explicit-any
            await sp.unsafe(keyed.text, keyed.params as any[])
          );
        } catch (error) {
          if ((error as { code?: string }).code !== "42883") throw error;
        }
      }
    }
    const st = topByStatement(filter, key, options.limit);
    // deno-lint-ignore no-explicit-any
    return await tx.unsafe(st.text, st.params as any[]);
  }) as unknown as Record<string, unknown>[];
  const clock = createZoneClock(options.tz);
  const columns = DRILL_COLUMNS[key];
  let names = new Map<string, string>();
  if (key === "client" && got.length > 0) {
    const found = await sql.unsafe<{ address: string; name: string }[]>(namesOf, [
      got.map((r) => r.key as string),
    ]);
    names = new Map(found.map((r) => [r.address, r.name]));
  }
  const keyColumn = columns[0];
  const rows = got.map((r) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = c === keyColumn ? r.key : c === "client_name" ? names.get(r.key as string) : r[c];
      if (v instanceof Date) out[c] = formatInstant(v, clock);
      else if (typeof v === "string" && c.endsWith("_count")) out[c] = Number(v);
      else out[c] = v ?? null;
    }
    return out;
  });
  return { columns, rows, coverage: await coverageOf(sql, filter, options.tz) };
}

/** The first raw day and, for one client or one domain, the statistics of the days before. */
export async function coverageOf(sql: Sql, filter: QueryFilter, tz: string): Promise<Coverage> {
  const parts = await sql.unsafe<{ day: string }[]>(RETENTION_SQL.rawPartitions);
  const rawFrom = parts[0]?.day ?? null;
  const clock = createZoneClock(tz);
  const fromDay = filter.from === null
    ? null
    : new Date(clock.toWall(filter.from)).toISOString().slice(0, 10);
  const before = rawFrom !== null && (fromDay === null || fromDay < rawFrom);
  const coverage: Coverage = {
    raw_from: rawFrom,
    before_raw: before,
    statistics_before: null,
    note: null,
  };
  if (!before) return coverage;
  const nodes = filter.nodes ?? null;
  if (filter.client?.kind === "ip") {
    const [s] = await sql.unsafe(clientTotalsBefore, [
      filter.client.value,
      fromDay,
      rawFrom,
      nodes,
    ]);
    coverage.statistics_before = plainNumbers(s);
  } else if (filter.domain?.kind === "exact") {
    const [s] = await sql.unsafe(domainTotalsBefore, [
      filter.domain.value,
      fromDay,
      rawFrom,
      nodes,
    ]);
    coverage.statistics_before = plainNumbers(s);
  }
  coverage.note = `Raw queries are kept from ${rawFrom} (DNSA_RETENTION_DAYS); these rows are ` +
    "exact from then on. Before it only the statistics remain: per day a client's query count " +
    "and rcode split (dns_daily_clients: report top-clients, GET /api/client) and a domain's " +
    "query count, rcodes and number of distinct clients (dns_daily_domains: report " +
    "top-domains, GET /api/domain), not which domains a client asked or which clients asked " +
    "a domain" + (coverage.statistics_before ? "; statistics_before sums them." : ".");
  return coverage;
}

function plainNumbers(row: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!row) return null;
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === "string" ? Number(v) : v]),
  );
}
