/**
 * The statement of the drill-downs (lib/search/drilldown.ts): the search's rows counted by one
 * key. Block rows come from lib/search/block_unnest.ts with only the arrays the filter, the key
 * and the counts read (the time, the rcode with its outcome overlay, the apex for domains), so
 * a client's top domains over a week reads the client, domain, apex and rcode arrays of the
 * blocks that hold the client, not the 24 arrays of every block.
 *
 * @module
 */
import type { QueryFilter } from "./filter.ts";
import type { RowColumn } from "./block_rows.ts";
import { blockUnnestFrom } from "./block_unnest.ts";
import { blocksWhere, conditions, type Statement, TOP_KEYS } from "./query_sql.ts";
import topBy from "../../sql/search/top_by.sql" with { type: "text" };
import topRows from "../../sql/search/top_rows.sql" with { type: "text" };

/** The block array each key reads. */
const KEY_COLUMNS: Record<keyof typeof TOP_KEYS, RowColumn> = {
  domain: "domain",
  qtype: "qtype",
  rcode: "response_rcode",
  client: "client_ip",
};

/** The search's rows counted by `key`, most queried first, at most `limit` keys. */
export function topByStatement(
  f: QueryFilter,
  key: keyof typeof TOP_KEYS,
  limit: number,
): Statement {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const columns: RowColumn[] = [KEY_COLUMNS[key], "response_rcode"];
  if (key === "domain") columns.push("apex_domain");
  const from = blockUnnestFrom(f, params, {
    columns,
    blocksWhere: blocksWhere(f, p),
  });
  const col = (c: RowColumn, type: string) =>
    columns.includes(c) ? `q.${c}` : `null::${type} as ${c}`;
  const blockSelect = [
    col("domain", "text"),
    key === "domain" ? "q.apex_domain" : "null::text as apex_domain",
    col("qtype", "text"),
    col("client_ip", "inet"),
  ].join(", ");
  const rows = topRows
    .replace("/*block_columns*/", () => blockSelect)
    .replace("/*blocks*/", () => from)
    .replace("/*apex*/", () => key === "domain" ? "q.apex_domain" : "null::text")
    .replace("/*apex_e*/", () => key === "domain" ? "e.apex_domain" : "null::text")
    .replace("/*staged_where*/", () => conditions(f, "q", params, false))
    .replace("/*error_where*/", () => conditions(f, "e", params));
  params.push(limit);
  const text = topBy.replace("/*key*/", () => TOP_KEYS[key]).replace("/*rows*/", () => rows)
    .replace("/*limit*/", () => `$${params.length}::bigint`);
  return { text, params };
}
