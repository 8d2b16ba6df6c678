/**
 * The SQL of the raw query search: the statements of `sql/search/` with the conditions of a
 * {@linkcode QueryFilter} filled in. Only the filters that are set become conditions (each
 * value a positional parameter), so the planner sees plain `column = $n` conditions it can
 * match to indexes and partitions, never `$n is null or ...`.
 *
 * Block rows are read without the view for pages (a page's rows by key, sql/search/
 * page_rows.sql, after lib/search/page_walk.ts found them) and streams (sql/search/
 * stream_rows.sql over lib/search/block_unnest.ts); the view dns_queries is read by
 * `pageStatement` without keys only. lib/search/README.md has the design and its figures.
 *
 * @module
 */
import type { QueryFilter } from "./filter.ts";
import { escapeLike } from "./filter.ts";
import { apexDomain } from "../domain.ts";
import { ALL_COLUMNS } from "./block_rows.ts";
import { blockUnnestFrom } from "./block_unnest.ts";
import { bloomCondition } from "../ingest/name_bloom.ts";
import queryRows from "../../sql/search/query_rows.sql" with { type: "text" };
import pageRows from "../../sql/search/page_rows.sql" with { type: "text" };
import queryPage from "../../sql/search/query_page.sql" with { type: "text" };
import streamRows from "../../sql/search/stream_rows.sql" with { type: "text" };
import queryStream from "../../sql/search/query_stream.sql" with { type: "text" };
import queryCsv from "../../sql/search/query_csv.sql" with { type: "text" };

/** A statement and its parameters. */
export interface Statement {
  text: string;
  params: unknown[];
}

/** Names an address may go by in dns_client_names: `name`, or `name.<domain>`. */
const CLIENT_BY_NAME = "array(select c.address from dns_client_names c where " +
  "lower(c.name) = $N or (strpos($N, '.') = 0 and split_part(lower(c.name), '.', 1) = $N))";

/**
 * The conditions of `f` over the raw queries (`q`) or the orphan error lines (`e`), each as
 * ` and …`; `blocks: false` leaves out the conditions on the view's block columns (for rows
 * that are not read through dns_queries).
 */
export function conditions(
  f: QueryFilter,
  alias: "q" | "e",
  params: unknown[],
  blocks = true,
): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const at = alias === "q" ? "q.queried_at" : "e.logged_at";
  const out: string[] = [];
  if (f.from !== null) out.push(`${at} >= ${p(new Date(f.from).toISOString())}::timestamptz`);
  if (f.to !== null) out.push(`${at} < ${p(new Date(f.to).toISOString())}::timestamptz`);
  if (f.nodes) {
    out.push(
      `${alias}.node_id = any(array(select node_id from dns_nodes ` +
        `where node_name = any(${p(f.nodes)}::text[])))`,
    );
  }
  if (alias === "q" && blocks) out.push(...blockConditions(f, p, VIEW_BLOCK_COLUMNS));
  const c = f.client;
  if (c?.kind === "ip") out.push(`${alias}.client_ip = ${p(c.value)}::inet`);
  else if (c?.kind === "cidr") out.push(`${alias}.client_ip <<= ${p(c.value)}::inet`);
  else if (c?.kind === "name") {
    const name = `${p(c.value)}::text`;
    out.push(`${alias}.client_ip = any(${CLIENT_BY_NAME.replaceAll("$N", () => name)})`);
  }
  const d = f.domain;
  if (d?.kind === "exact") out.push(`${alias}.domain = ${p(d.value)}::text`);
  else if (d?.kind === "suffix") {
    out.push(
      `(${alias}.domain = ${p(d.value)}::text or ${alias}.domain like ${
        p(`%.${escapeLike(d.value)}`)
      }::text)`,
    );
  }
  if (f.apex !== null) out.push(`${alias}.apex_domain = ${p(f.apex)}::text`);
  if (f.qtypes) out.push(`${alias}.qtype = any(${p(f.qtypes)}::text[])`);
  if (f.rcodes || f.unknownRcode) {
    const parts: string[] = [];
    if (f.rcodes) parts.push(`${alias}.response_rcode = any(${p(f.rcodes)}::text[])`);
    if (f.unknownRcode) parts.push(`${alias}.response_rcode is null`);
    out.push(parts.length === 1 ? parts[0] : `(${parts.join(" or ")})`);
  }
  if (f.transports) {
    // Error lines do not say their transport: they match no transport filter.
    out.push(alias === "q" ? `q.transport = any(${p(f.transports)}::text[])` : "false");
  }
  return out.map((x) => ` and ${x}`).join("");
}

/**
 * Conditions on the blocks of dns_queries (migration 0027) that the row conditions imply, so
 * that a block that cannot hold a matching row is never unnested: its span against the time
 * range, its distinct clients against an address (GIN), a name whose apex is known (a suffix
 * above the apex level, `*.com`, has none) against the block's apex_bloom where the statement
 * reads dns_query_blocks (migration 0038, in the heap row; NULL in blocks stored before it)
 * and then its apex hashes (`names`, no longer indexed), and there too an exact name against
 * the block's name_bloom (migration 0031; true where the filter is NULL).
 */
export function blockConditions(
  f: QueryFilter,
  p: (v: unknown) => string,
  c: BlockColumns,
): string[] {
  const out: string[] = [];
  if (f.from !== null) {
    out.push(`${c.lastAt} >= ${p(new Date(f.from).toISOString())}::timestamptz`);
  }
  if (f.to !== null) out.push(`${c.firstAt} < ${p(new Date(f.to).toISOString())}::timestamptz`);
  if (f.client?.kind === "ip") out.push(`${c.clients} @> array[${p(f.client.value)}::inet]`);
  const apex = filterApex(f);
  if (apex !== null) {
    const hashes = `${c.names} @> array[dnsa_name_hash(${p(apex)}::text)]`;
    // A block's apex filter (in its heap row) where it has one; its apex hashes (in TOAST)
    // only in blocks stored before migration 0038. A false positive of the filter costs a
    // block's arrays read in vain: the rows' own condition is exact.
    out.push(
      c.apexBloom
        ? `(case when ${c.apexBloom} is null then ${hashes} else ${
          bloomCondition(c.apexBloom, apex, p)
        } end)`
        : hashes,
    );
  }
  if (c.bloom && f.domain?.kind === "exact") {
    out.push(bloomCondition(c.bloom, f.domain.value, p));
  }
  return out;
}

/**
 * The apex every matching row has: the apex filter's, an exact name's apex, or the apex of a
 * suffix at or below the apex level (`*.google.com`; `*.com` has none). Null when none.
 */
export function filterApex(f: QueryFilter): string | null {
  const d = f.domain;
  let apex = f.apex;
  if (apex === null && d?.kind === "exact") apex = apexDomain(d.value);
  if (apex === null && d?.kind === "suffix") {
    const a = apexDomain(d.value);
    if (apexDomain(`x.${d.value}`) === a) apex = a;
  }
  return apex;
}

/** The names of a block's span and summaries in the statement that reads them. */
export interface BlockColumns {
  firstAt: string;
  lastAt: string;
  clients: string;
  names: string;
  /** The full names' Bloom filter (dns_query_blocks.name_bloom), where the statement has it. */
  bloom?: string;
  /** The apexes' Bloom filter (dns_query_blocks.apex_bloom), where the statement has it. */
  apexBloom?: string;
}

/** The block columns as the view dns_queries (alias q) shows them. */
const VIEW_BLOCK_COLUMNS: BlockColumns = {
  firstAt: "q.block_first_at",
  lastAt: "q.block_last_at",
  clients: "q.block_clients",
  names: "q.block_names",
};

/** Where the next page starts: the last row's instant and key, and how many equal rows to skip. */
export interface PageCursor {
  /** queried_at as UTC text with microseconds, as PostgreSQL printed it. */
  at: string;
  key: string;
  skip: number;
}

/**
 * The rows a page's first phase found (lib/search/page_walk.ts): block rows by key, and the
 * lower bound of the page's instants (epoch microseconds) that bounds the staged rows and the
 * orphan lines, which are read by their conditions. Null bound: every one.
 */
export interface PageKeys {
  blockIds: number[];
  firstUs: number[];
  idx: number[];
  fromUs: number | null;
}

function rowsText(
  f: QueryFilter,
  params: unknown[],
  before: string | null,
  keys: PageKeys | null = null,
): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  let source = "dns_queries";
  let lower = "", lowerE = "";
  if (keys) {
    const ids = `${p(keys.blockIds)}::bigint[], ${p(keys.firstUs)}::bigint[], ${
      p(keys.idx)
    }::bigint[]`;
    let span = "";
    if (keys.firstUs.length > 0) {
      const lo = Math.min(...keys.firstUs), hi = Math.max(...keys.firstUs);
      span = ` and b.first_at >= ${usLiteral(p(lo))} and b.first_at <= ${usLiteral(p(hi))}`;
    }
    source = pageRows.replace("/*keys*/", () => ids).replace("/*span*/", () => span);
    if (keys.fromUs !== null) {
      const at = usLiteral(p(keys.fromUs));
      lower = ` and q.queried_at >= ${at}`;
      lowerE = ` and e.logged_at >= ${at}`;
    }
  }
  const upper = before === null
    ? ""
    : ` and q.queried_at <= ${before}` + (keys ? "" : ` and q.block_first_at <= ${before}`);
  const upperE = before === null ? "" : ` and e.logged_at <= ${before}`;
  return queryRows
    .replace("/*queries*/", () => source)
    .replace("/*query_where*/", () => conditions(f, "q", params, !keys) + upper + lower)
    .replace("/*error_where*/", () => conditions(f, "e", params) + upperE + lowerE);
}

/** An instant given as epoch microseconds in parameter `param` (exact: no float seconds). */
export function usLiteral(param: string): string {
  return `(timestamptz 'epoch' + ${param}::bigint * interval '1 microsecond')`;
}

/**
 * A page of at most `limit` rows after `cursor` (plus the rows the cursor skips): of every
 * row of the search, or (`keys`) of the rows a page's first phase found.
 */
export function pageStatement(
  f: QueryFilter,
  limit: number,
  cursor: PageCursor | null,
  keys: PageKeys | null = null,
): Statement {
  const params: unknown[] = [];
  let before: string | null = null;
  let pageWhere = "";
  if (cursor) {
    params.push(cursor.at, cursor.key);
    before = "$1::timestamptz";
    pageWhere = " and (r.queried_at < $1::timestamptz or " +
      '(r.queried_at = $1::timestamptz and r.row_key <= $2::text collate "C"))';
  }
  const rows = rowsText(f, params, before, keys);
  params.push(limit);
  const text = queryPage
    .replace("/*rows*/", () => rows)
    .replace("/*page_where*/", () => pageWhere)
    .replace("/*limit*/", () => `$${params.length}::bigint`);
  return { text, params };
}

/**
 * Every row (at most `limit`, null = all), newest first, for a streaming cursor: the block
 * rows read by lib/search/block_unnest.ts, no row_key.
 */
export function streamStatement(f: QueryFilter, limit: number | null): Statement {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const unit = " and u.kind = 'b' and b.block_id = u.block_id and b.first_at = u.first_at";
  const rows = streamRows
    .replace("/*blocks_where*/", () => blocksWhere(f, p))
    .replace("/*staged_where*/", () => conditions(f, "q", params, false))
    .replace("/*error_where*/", () => conditions(f, "e", params))
    .replace(
      "/*blocks*/",
      () => blockUnnestFrom(f, params, { columns: ALL_COLUMNS, blocksWhere: unit }),
    );
  let lim = "all";
  if (limit !== null) {
    params.push(limit);
    lim = `$${params.length}::bigint`;
  }
  const text = queryStream.replace("/*rows*/", () => rows).replace("/*limit*/", () => lim);
  return { text, params };
}

/**
 * The conditions of `f` on the blocks `b` of dns_query_blocks, as ` and …`: span, nodes, and
 * the summaries (clients, apexes) in a subquery of their own, so that with sequential scans
 * off (a page's and a drill-down's transaction) a client is answered by the GIN index of the
 * clients alone (a summary read as a filter is a TOAST read per block), and an apex by the
 * apex_bloom in each heap row of the range first (migration 0038).
 */
export function blocksWhere(f: QueryFilter, p: (v: unknown) => string): string {
  const out = blockConditions(f, p, {
    ...BLOCK_COLUMNS,
    clients: "g.clients",
    names: "g.names",
    apexBloom: "g.apex_bloom",
  });
  const onSummaries = (c: string) => /(^|[^\w.])g\./.test(c);
  const summaries = out.filter(onSummaries);
  const where = out.filter((c) => !onSummaries(c));
  if (summaries.length > 0) {
    // The time range here too: else the GIN index finds the value's blocks of every day, each
    // then read from the heap for its block_id (a third of a week's drill-down over 30 days).
    if (f.from !== null) {
      summaries.push(`g.last_at >= ${p(new Date(f.from).toISOString())}::timestamptz`);
    }
    if (f.to !== null) {
      summaries.push(`g.first_at < ${p(new Date(f.to).toISOString())}::timestamptz`);
    }
    where.push(
      `b.block_id = any(array(select g.block_id from dns_query_blocks g where ${
        summaries.join(" and ")
      }))`,
    );
  }
  if (f.nodes) {
    where.push(
      `b.node_id = any(array(select node_id from dns_nodes where node_name = any(${
        p(f.nodes)
      }::text[])))`,
    );
  }
  return where.map((w) => ` and ${w}`).join("");
}

/** The block columns of dns_query_blocks (alias b). */
export const BLOCK_COLUMNS: BlockColumns = {
  firstAt: "b.first_at",
  lastAt: "b.last_at",
  clients: "b.clients",
  names: "b.names",
  bloom: "b.name_bloom",
  apexBloom: "b.apex_bloom",
};

/**
 * A SQL literal of a parameter value, for the statements that take no parameters (COPY): an
 * escape string `E'…'` (its backslashes and quotes doubled, so it reads the same whatever
 * standard_conforming_strings says), an `array[…]` of them, or an integer.
 */
export function sqlLiteral(value: unknown): string {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError("a parameter must be an integer");
    return String(value);
  }
  if (typeof value === "string") {
    if (value.includes("\0")) throw new RangeError("a text parameter cannot hold NUL");
    return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
  }
  if (Array.isArray(value)) return `array[${value.map(sqlLiteral).join(", ")}]`;
  throw new TypeError(`no SQL literal for a parameter of type ${typeof value}`);
}

/** `st` with its positional parameters written in as literals ({@linkcode sqlLiteral}). */
export function inlineParams(st: Statement): string {
  return st.text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= st.params.length) throw new RangeError(`no parameter $${n}`);
    return sqlLiteral(st.params[i]);
  });
}

/**
 * The statement that makes `tz` the session's time zone, for {@linkcode csvCopyStatement}: a
 * name as text; an offset (`+03:00`, which Intl takes as UTC+3) as an interval hour to minute,
 * since PostgreSQL reads an offset given as text with the POSIX sign (UTC-3).
 */
export function csvZoneStatement(tz: string): string {
  const m = /^([+-]\d{2}):?(\d{2})?$/.exec(tz);
  if (m) return `set time zone interval ${sqlLiteral(`${m[1]}:${m[2] ?? "00"}`)} hour to minute`;
  return `set time zone ${sqlLiteral(tz)}`;
}

/**
 * `COPY (…) TO STDOUT (format csv, header)` of every row (at most `limit`, null = all),
 * newest first, as the CSV columns (sql/search/query_csv.sql), times in the session's time
 * zone (run {@linkcode csvZoneStatement} first). The filter's values are inlined as literals:
 * COPY takes no parameters.
 */
export function csvCopyStatement(f: QueryFilter, options: { limit: number | null }): string {
  const select = queryCsv
    .replace("/*stream*/", () => inlineParams(streamStatement(f, options.limit)));
  return `copy (\n${select}\n) to stdout (format csv, header)`;
}

/** The keys a drill-down may count by, as expressions over the search rows `r`. */
export const TOP_KEYS = {
  domain: "r.domain",
  qtype: "r.qtype",
  rcode: "coalesce(r.response_rcode, 'unknown')",
  client: "host(r.client_ip)",
} as const;
