/**
 * The API of the raw query search (client-detail paths, lib/http/client_detail.ts):
 *
 * - `GET /api/queries?from=&to=&days=&client=&domain=&apex=&qtype=&rcode=&transport=&node=
 *   &limit=&cursor=` → `{"rows": [...], "next": cursor | null}`, newest first, `limit` rows
 *   (default 100, at most 10000); `next` is the `cursor` of the following page. `format=csv`
 *   streams every matching row (or `limit` rows) as CSV, in constant memory.
 * - `GET /api/client-domains?client=X&...` → a client's top domains, qtypes and rcodes.
 * - `GET /api/domain-clients?domain=X&...` → a domain's (or `*.name`'s) top clients.
 * - `GET /api/client-names?q=ADDRESS|NAME` → the names dns_client_names holds.
 *
 * `from`/`to` are dates or ISO timestamps; `days=N` is the last N days, today included. The
 * drill-downs default to the last 7 days; the query log to everything that is kept.
 *
 * @module
 */
import { CACHED_NOTE } from "../server_stats/cached.ts";
import type { Config } from "../config.ts";
import type { Sql } from "../db/connect.ts";
import { reportDays } from "../report.ts";
import { drilldown } from "../search/drilldown.ts";
import { FILTER_KEYS, type FilterInput, parseClient, parseQueryFilter } from "../search/filter.ts";
import { exportQueriesCsv } from "../search/csv_export.ts";
import { CursorError, MAX_PAGE_ROWS, QUERY_COLUMNS, searchPage } from "../search/query_search.ts";
import { createZoneClock } from "../time.ts";
import { json, jsonError, plainRows, TYPES } from "./respond.ts";
import clientNamesFind from "../../sql/search/client_names_find.sql" with { type: "text" };

/** What the search endpoints need. */
export interface SearchApiDeps {
  sql: Sql;
  /** `database`: on PostgreSQL the CSV export is a COPY (lib/search/csv_export.ts). */
  config: Pick<Config, "logTz"> & Partial<Pick<Config, "database">>;
  now?: () => Date;
}

const DEFAULT_PAGE = 100;
const DEFAULT_TOP = 25;
const MAX_TOP = 10_000;
const MAX_CSV = 1_000_000_000;

function intParam(url: URL, name: string, max: number): number | undefined | Response {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return undefined;
  if (!/^\d{1,10}$/.test(v) || +v < 1 || +v > max) {
    return jsonError(400, `${name}: must be a whole number 1-${max}`);
  }
  return +v;
}

/** The filters of the URL; `days` becomes `from` when no from/to is given. */
function filterOf(deps: SearchApiDeps, url: URL, defaultDays: number | null) {
  const input: FilterInput = {};
  for (const k of FILTER_KEYS) {
    const v = url.searchParams.get(k);
    if (v !== null) input[k] = v;
  }
  const days = intParam(url, "days", 36500);
  if (days instanceof Response) return days;
  if ((days !== undefined) && (input.from || input.to)) {
    return jsonError(400, "days: give either days or from/to, not both");
  }
  const n = days ?? (input.from || input.to ? undefined : defaultDays ?? undefined);
  if (n !== undefined) {
    input.from = reportDays({ days: n, tz: deps.config.logTz, now: deps.now?.() })[0];
  }
  const f = parseQueryFilter(input, { tz: deps.config.logTz });
  return f.ok ? f.value : jsonError(400, f.message);
}

/** Answer a search path, or null when `url` is not one. */
export async function searchEndpoint(deps: SearchApiDeps, url: URL): Promise<Response | null> {
  switch (url.pathname) {
    case "/api/queries":
      return await queriesEndpoint(deps, url);
    case "/api/client-domains":
      return await clientDomainsEndpoint(deps, url);
    case "/api/domain-clients":
      return await domainClientsEndpoint(deps, url);
    case "/api/client-names":
      return await clientNamesEndpoint(deps, url);
  }
  return null;
}

async function queriesEndpoint(deps: SearchApiDeps, url: URL): Promise<Response> {
  const f = filterOf(deps, url, null);
  if (f instanceof Response) return f;
  const format = url.searchParams.get("format") ?? "json";
  if (format !== "json" && format !== "csv") return jsonError(400, "format: must be json or csv");
  const tz = deps.config.logTz;
  const filter = f;
  if (format === "csv") {
    const limit = intParam(url, "limit", MAX_CSV);
    if (limit instanceof Response) return limit;
    const chunks = exportQueriesCsv(deps.sql, filter, {
      limit: limit ?? null,
      tz,
      copy: deps.config.database?.kind === "postgres",
      eol: "\r\n",
    });
    return new Response(ReadableStream.from(chunks), {
      headers: {
        "content-type": TYPES.csv,
        "content-disposition": 'attachment; filename="queries.csv"',
      },
    });
  }
  const limit = intParam(url, "limit", MAX_PAGE_ROWS);
  if (limit instanceof Response) return limit;
  try {
    const page = await searchPage(deps.sql, f, {
      limit: limit ?? DEFAULT_PAGE,
      cursor: url.searchParams.get("cursor"),
      tz,
    });
    return json({
      columns: QUERY_COLUMNS,
      rows: page.rows,
      next: page.next,
      tz,
      notes: { cached: CACHED_NOTE },
    });
  } catch (error) {
    if (error instanceof CursorError) return jsonError(400, error.message);
    throw error;
  }
}

async function clientDomainsEndpoint(deps: SearchApiDeps, url: URL): Promise<Response> {
  if (!url.searchParams.get("client")) {
    return jsonError(400, "client: give an address, a network or a client name");
  }
  const f = filterOf(deps, url, 7);
  if (f instanceof Response) return f;
  const limit = intParam(url, "limit", MAX_TOP);
  if (limit instanceof Response) return limit;
  const options = { limit: limit ?? DEFAULT_TOP, tz: deps.config.logTz };
  const [domains, qtypes, rcodes] = await Promise.all([
    drilldown(deps.sql, f, "domain", options),
    drilldown(deps.sql, f, "qtype", options),
    drilldown(deps.sql, f, "rcode", options),
  ]);
  return json({
    client: f.client,
    domains: domains.rows,
    qtypes: qtypes.rows,
    rcodes: rcodes.rows,
    coverage: domains.coverage,
  });
}

async function domainClientsEndpoint(deps: SearchApiDeps, url: URL): Promise<Response> {
  if (!url.searchParams.get("domain")) {
    return jsonError(400, "domain: give a name, or *.name for a name and everything below");
  }
  const f = filterOf(deps, url, 7);
  if (f instanceof Response) return f;
  const limit = intParam(url, "limit", MAX_TOP);
  if (limit instanceof Response) return limit;
  const r = await drilldown(deps.sql, f, "client", {
    limit: limit ?? DEFAULT_TOP,
    tz: deps.config.logTz,
  });
  return json({ domain: f.domain, clients: r.rows, coverage: r.coverage });
}

async function clientNamesEndpoint(deps: SearchApiDeps, url: URL): Promise<Response> {
  const q = (url.searchParams.get("q") ?? "").trim();
  const c = parseClient(q);
  if (!c || c.kind === "cidr") return jsonError(400, "q: give an address or a client name");
  const rows = await deps.sql.unsafe(clientNamesFind, [
    c.kind === "ip" ? c.value : null,
    c.kind === "name" ? c.value : null,
    100,
  ]);
  return json({ names: plainRows(rows, createZoneClock(deps.config.logTz)) });
}
