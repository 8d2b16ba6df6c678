/**
 * The drill-downs of one value: a client address's top domains, qtypes and rcodes, a name's
 * (or an apex's) top clients, over a time range and nodes and nothing else. The statement
 * (sql/search/drill_keyed.sql) reads the blocks that hold the value through
 * dnsa_block_rows_at (migration 0034): each array once per block, at the value's positions,
 * with no OFFSET 0 fence, so PostgreSQL shares the blocks among parallel workers and counts
 * them with a partial aggregate in each. Any other filter, and a search with staged rows or
 * orphan query-errors lines (sql/search/drill_side.sql), takes the general statement
 * (lib/search/top_sql.ts). lib/search/README.md has the figures.
 *
 * @module
 */
import type { QueryFilter } from "./filter.ts";
import { filterColumns, filterKey, type RowColumn } from "./block_rows.ts";
import { blocksWhere, conditions, type Statement, type TOP_KEYS } from "./query_sql.ts";
import drillKeyed from "../../sql/search/drill_keyed.sql" with { type: "text" };
import drillSide from "../../sql/search/drill_side.sql" with { type: "text" };

/** The array each key counts by, and the key's expression over the function's row x. */
const KEYS: Record<keyof typeof TOP_KEYS, { array: RowColumn; expr: string }> = {
  domain: { array: "domain", expr: "x.key" },
  qtype: { array: "qtype", expr: "x.key" },
  // The rcode with the outcome overlay applied (the key array is only read for its type).
  rcode: { array: "response_rcode", expr: "coalesce(x.response_rcode, 'unknown')" },
  client: { array: "client_ip", expr: "host(x.key)" },
};

/**
 * The statement counting `f`'s rows by `key` at the positions of its one value, or null when
 * `f` has a filter besides that value, the time range and nodes (the general statement then).
 */
export function keyedTopStatement(
  f: QueryFilter,
  key: keyof typeof TOP_KEYS,
  limit: number,
): Statement | null {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const cols = filterColumns(f);
  const found = filterKey(f, cols, p);
  if (found === null || cols.size !== 1 || !cols.has(found.column)) return null;
  const at = "r.queried_at";
  let rowWhere = "";
  if (f.from !== null) {
    rowWhere += ` and ${at} >= ${p(new Date(f.from).toISOString())}::timestamptz`;
  }
  if (f.to !== null) rowWhere += ` and ${at} < ${p(new Date(f.to).toISOString())}::timestamptz`;
  const where = blocksWhere(f, p);
  params.push(limit);
  const text = drillKeyed
    .replace("/*apex*/", () => key === "domain" ? "true" : "false")
    .replace(
      "/*at_key*/",
      () => key === "domain" ? "min(b.block_id * 1048576 + x.idx)" : "null::bigint",
    )
    .replace("/*key*/", () => KEYS[key].expr)
    .replace("/*column*/", () => found.column)
    .replace("/*value*/", () => found.value)
    .replace("/*key_array*/", () => KEYS[key].array)
    .replace("/*blocks_where*/", () => where)
    .replace("/*row_where*/", () => rowWhere)
    .replace("/*limit*/", () => `$${params.length}::bigint`);
  return { text, params };
}

/** Whether `f` has staged rows or orphan query-errors lines (sql/search/drill_side.sql). */
export function drillSideStatement(f: QueryFilter): Statement {
  const params: unknown[] = [];
  const text = drillSide
    .replace("/*staged_where*/", () => conditions(f, "q", params, false))
    .replace("/*error_where*/", () => conditions(f, "e", params));
  return { text, params };
}
