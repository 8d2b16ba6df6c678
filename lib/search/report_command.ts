/**
 * `report queries`, `report client-domains`, `report domain-clients`: the raw query search on
 * the command line. json and csv stream (one batch of rows in memory whatever `--limit`; csv on
 * PostgreSQL is written by the server, lib/search/csv_export.ts);
 * table keeps its rows to align them (at most `--limit`, default 100).
 *
 * @module
 */
import { isCidr, UsageError } from "../cli.ts";
import type { JobContext } from "../context.ts";
import { reportScope } from "../nodes.ts";
import { formatReport } from "../report.ts";
import { exportQueriesCsv } from "./csv_export.ts";
import { drilldown, type DrillKey } from "./drilldown.ts";
import { FILTER_KEYS, type FilterInput, parseQueryFilter, type QueryFilter } from "./filter.ts";
import { streamQueries } from "./query_search.ts";
import { SEARCH_REPORTS } from "./report_help.ts";

/** The most rows `--limit` may ask for. */
export const MAX_SEARCH_LIMIT = 1_000_000_000;

const DEFAULT_LIMIT = 100;

/** The columns `--format table` shows of a query (json and csv have all of them). */
const TABLE_COLUMNS = [
  "queried_at",
  "node_name",
  "client_ip",
  "client_name",
  "domain",
  "qtype",
  "response_rcode",
  "transport",
  "flags",
  "source",
];

/** True for the names of the search reports. */
export function isSearchReport(name: string | undefined): boolean {
  return name !== undefined && Object.hasOwn(SEARCH_REPORTS, name);
}

type Values = Record<string, string | boolean | undefined>;

function filterInput(values: Values): FilterInput {
  const input: FilterInput = {};
  for (const k of FILTER_KEYS) {
    const v = values[k];
    if (typeof v === "string") input[k] = v;
  }
  return input;
}

function limitOf(values: Values): number {
  const v = values.limit;
  if (v === undefined) return DEFAULT_LIMIT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEARCH_LIMIT) {
    throw new UsageError(`--limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  return n;
}

function drillKey(name: string, values: Values): DrillKey {
  if (name === "domain-clients") return "client";
  const by = values.by ?? "domain";
  if (by !== "domain" && by !== "qtype" && by !== "rcode") {
    throw new UsageError("--by must be domain, qtype or rcode");
  }
  return by;
}

/** Check a search report's options before the database opens; throws UsageError. */
export function checkSearchArguments(name: string, values: Values, tz = "UTC"): QueryFilter {
  if (!["table", "json", "csv", undefined].includes(values.format as string | undefined)) {
    throw new UsageError("--format must be table, json or csv");
  }
  if (values.days !== undefined) {
    throw new UsageError(`report ${name}: give --from/--to (dates or timestamps), not --days`);
  }
  if (name === "client-domains" && typeof values.client !== "string") {
    throw new UsageError("report client-domains: give --client ADDRESS|NETWORK|NAME");
  }
  if (name === "domain-clients" && typeof values.domain !== "string") {
    throw new UsageError("report domain-clients: give --domain NAME (or '*.NAME')");
  }
  if (name !== "client-domains" && values.by !== undefined) {
    throw new UsageError("--by belongs to report client-domains");
  }
  if (values.network !== undefined && !isCidr(String(values.network))) {
    throw new UsageError("--network must be a network in CIDR notation, e.g. 10.10.10.0/24");
  }
  limitOf(values);
  if (name !== "queries") drillKey(name, values);
  const f = parseQueryFilter(filterInput(values), { tz });
  if (!f.ok) throw new UsageError(`--${f.message}`);
  return f.value;
}

/** Where the output goes: text or bytes written as they come (stdout by default). */
export type Write = (data: string | Uint8Array) => Promise<void>;

function stdoutWriter(): Write {
  const enc = new TextEncoder();
  return async (data) => {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
  };
}

/** Run a search report; returns the exit status. */
export async function runSearchReport(
  ctx: JobContext,
  name: string,
  values: Values,
  write: Write = stdoutWriter(),
): Promise<number> {
  const tz = ctx.config.logTz;
  const filter = checkSearchArguments(name, values, tz);
  if (typeof values.location === "string" || typeof values.network === "string") {
    // The nodes at a location or in a network (dns_nodes), narrowing --node; none: no rows.
    filter.nodes = await reportScope(ctx.sql, filter.nodes, {
      location: typeof values.location === "string" ? values.location : null,
      network: typeof values.network === "string" ? values.network : null,
    });
  }
  const limit = limitOf(values);
  const format = (values.format as "table" | "json" | "csv" | undefined) ?? "table";
  if (name !== "queries") {
    const r = await drilldown(ctx.sql, filter, drillKey(name, values), { limit, tz });
    if (r.coverage.note) console.error(`dns-analytics: ${r.coverage.note}`);
    await write(formatReport({ columns: [...r.columns], rows: r.rows }, format) + "\n");
    return 0;
  }
  if (format === "csv") {
    for await (const chunk of exportQueriesCsv(ctx.sql, filter, { limit, tz, copy: ctx.copy })) {
      await write(chunk);
    }
    return 0;
  }
  const batches = streamQueries(ctx.sql, filter, { limit, tz });
  if (format === "table") {
    const rows: Record<string, unknown>[] = [];
    for await (const b of batches) rows.push(...b);
    await write(formatReport({ columns: TABLE_COLUMNS, rows }, "table") + "\n");
    return 0;
  }
  let first = true;
  await write("[");
  for await (const b of batches) {
    let text = "";
    for (const r of b) {
      text += (first ? "\n" : ",\n") + JSON.stringify(r);
      first = false;
    }
    await write(text);
  }
  await write(first ? "]\n" : "\n]\n");
  return 0;
}
