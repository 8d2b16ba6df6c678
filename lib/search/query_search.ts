/**
 * The raw query search: pages with a keyset cursor (the API, the dashboard's Queries page) and
 * a stream of every matching row (CSV and JSON exports, `report queries`), newest first, over
 * dns_queries and the orphan query-errors lines.
 *
 * Paging never uses OFFSET: a page asks for the rows at or before the last row's
 * (queried_at, row_key) and skips the rows equal to it that earlier pages returned, so a page
 * costs the same at the end of a result as at its start, and rows committed meanwhile
 * (always newer) never shift it. Rows identical in every column are interchangeable, so the
 * skip count keeps "every row exactly once" for them too.
 *
 * @example
 * ```ts
 * const f = parseQueryFilter({ client: "10.10.10.31" }, { tz: "UTC" });
 * if (f.ok) {
 *   let page = await searchPage(sql, f.value, { limit: 100, tz: "UTC" });
 *   while (page.next) page = await searchPage(sql, f.value, { limit: 100, cursor: page.next, tz: "UTC" });
 * }
 * ```
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { formatInstant } from "../report.ts";
import { createZoneClock, type ZoneClock } from "../time.ts";
import type { QueryFilter } from "./filter.ts";
import { type PageCursor, streamStatement } from "./query_sql.ts";
import { pageRows } from "./page_walk.ts";
import bestNames from "../../sql/search/best_names.sql" with { type: "text" };
import nodeNames from "../../sql/search/node_names.sql" with { type: "text" };

/** The columns of a search row, in order: the seed's first, `client_name` beside `client_ip`. */
export const QUERY_COLUMNS = [
  "queried_at",
  "node_name",
  "client_ip",
  "client_name",
  "client_port",
  "domain",
  "apex_domain",
  "qtype",
  "qclass",
  "flags",
  "response_rcode",
  "cached",
  "transport",
  "view",
  "recursion_desired",
  "edns_version",
  "dnssec_ok",
  "checking_disabled",
  "client_subnet",
  "server_ip",
  "error_reason",
  "rcode_source",
  "latency_us",
  "response_size",
  "response_flags",
  "answer_count",
  "source",
] as const;

/** The most rows one page may have. */
export const MAX_PAGE_ROWS = 10_000;

/** A cursor that is not one this program wrote. */
export class CursorError extends Error {
  override name = "CursorError";
}

/** The cursor as the API passes it: base64url of `[at, key, skip]`. */
export function encodeCursor(c: PageCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([c.at, c.key, c.skip]));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The cursor of {@linkcode encodeCursor}; throws CursorError for anything else. */
export function decodeCursor(text: string): PageCursor {
  try {
    const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
    const bin = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
    const v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (ch) => ch.charCodeAt(0)),
    ));
    if (
      Array.isArray(v) && v.length === 3 && typeof v[0] === "string" &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(v[0]) && typeof v[1] === "string" &&
      Number.isSafeInteger(v[2]) && v[2] >= 0
    ) {
      return { at: v[0], key: v[1], skip: v[2] };
    }
  } catch { /* not base64 JSON */ }
  throw new CursorError("cursor: not a cursor of this search (use the `next` of a page)");
}

/** Options of {@linkcode searchPage}. */
export interface PageOptions {
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string | null;
  tz: string;
}

/** One page: its rows and the cursor of the next page (null at the end). */
export interface SearchPage {
  rows: Record<string, unknown>[];
  next: string | null;
}

function plain(r: Record<string, unknown>, clock: ZoneClock): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of QUERY_COLUMNS) {
    const v = r[c];
    out[c] = v instanceof Date ? formatInstant(v, clock) : v ?? null;
  }
  return out;
}

/** One page of at most `limit` rows, newest first. */
export async function searchPage(
  sql: Sql,
  filter: QueryFilter,
  options: PageOptions,
): Promise<SearchPage> {
  const cursor = options.cursor ? decodeCursor(options.cursor) : null;
  const skip = cursor?.skip ?? 0;
  // Two phases over the blocks (lib/search/page_walk.ts): which rows, then those rows whole.
  const got = await pageRows(sql, filter, options.limit + skip + 1, cursor);
  let rows = got;
  if (cursor) {
    let drop = 0;
    while (
      drop < skip && drop < rows.length && rows[drop].cursor_at === cursor.at &&
      rows[drop].row_key === cursor.key
    ) drop++;
    rows = rows.slice(drop);
  }
  const more = rows.length > options.limit;
  const page = rows.slice(0, options.limit);
  let next: string | null = null;
  if (more && page.length > 0) {
    const last = page.at(-1)!;
    let same = 0;
    for (const r of page) if (r.cursor_at === last.cursor_at && r.row_key === last.row_key) same++;
    if (cursor && cursor.at === last.cursor_at && cursor.key === last.row_key) same += skip;
    next = encodeCursor({ at: String(last.cursor_at), key: String(last.row_key), skip: same });
  }
  const clock = createZoneClock(options.tz);
  return { rows: page.map((r) => plain(r, clock)), next };
}

/** Options of {@linkcode streamQueries}. */
export interface StreamOptions {
  /** At most this many rows; null or undefined = every row. */
  limit?: number | null;
  tz: string;
  /** Rows fetched per round trip (default 5000). */
  batchRows?: number;
}

/**
 * Every matching row, newest first, in batches, through a server-side cursor: memory holds
 * one batch, whatever the size of the result.
 */
export async function* streamQueries(
  sql: Sql,
  filter: QueryFilter,
  options: StreamOptions,
): AsyncGenerator<Record<string, unknown>[]> {
  const nodes = new Map<number, string>();
  for (const r of await sql.unsafe<{ node_id: number; node_name: string }[]>(nodeNames)) {
    nodes.set(r.node_id, r.node_name);
  }
  const names = new Map<string, string>();
  for (const r of await sql.unsafe<{ address: string; name: string }[]>(bestNames)) {
    names.set(r.address, r.name);
  }
  const clock = createZoneClock(options.tz);
  const st = streamStatement(filter, options.limit ?? null);
  // A connection of its own for the cursor, JIT off on it (see JIT_OFF), given back as it was.
  const conn = await sql.reserve();
  try {
    await conn.unsafe(JIT_OFF);
    // deno-lint-ignore no-explicit-any
    const cursor = conn.unsafe(st.text, st.params as any[]).cursor(options.batchRows ?? 5000);
    for await (const batch of cursor) {
      yield (batch as Record<string, unknown>[]).map((r) => {
        r.node_name = nodes.get(r.node_id as number) ?? null;
        r.client_name = names.get(r.client_ip as string) ?? null;
        return plain(r, clock);
      });
    }
  } finally {
    await conn.unsafe("reset jit").catch(() => {});
    conn.release();
  }
}

/**
 * A stream's plan is costed on every block it may read, far above jit_above_cost, and JIT
 * then compiles for seconds before the first row (4.3 s of 16.5 s for 1 M rows of 10 M);
 * the stream's expressions run once per row, so compiling them never pays back.
 */
export const JIT_OFF = "set jit = off";
