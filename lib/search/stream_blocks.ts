/**
 * The block rows of a stream (CSV and JSON exports, sql/search/stream_rows.sql) when the filter
 * has no key that lib/search/block_rows.ts finds rows by (one address, one name, one apex):
 * every row of each block with every column, its arrays unnested by set-returning functions in
 * a select list, which hand out one element at a time (sql/search/stream_blocks.sql), rather
 * than by unnest in FROM, which first writes every array of the block into a tuple store.
 *
 * @module
 */
import type { QueryFilter } from "./filter.ts";
import { ALL_COLUMNS, blockRowsFrom } from "./block_rows.ts";
import { conditions, filterApex } from "./query_sql.ts";
import streamBlocks from "../../sql/search/stream_blocks.sql" with { type: "text" };

/** True when `f` has a key lib/search/block_rows.ts finds a block's rows by. */
function hasKey(f: QueryFilter): boolean {
  return f.client?.kind === "ip" || f.domain?.kind === "exact" || filterApex(f) !== null;
}

/**
 * `(…) q where true and …`: every column of the rows of the blocks `b` that `blocksWhere`
 * (`and …` over b) selects and that match `f`, as alias `q` with queried_at, node_id and the
 * columns of dns_queries. Parameters go to `params`.
 */
export function streamBlocksFrom(f: QueryFilter, params: unknown[], blocksWhere: string): string {
  if (hasKey(f)) return blockRowsFrom(f, params, { columns: ALL_COLUMNS, blocksWhere });
  const unnest = ["at_us", ...ALL_COLUMNS].map((c) => `unnest(b.${c}) as ${c}`).join(", ");
  return streamBlocks
    .replace("/*blocks_where*/", () => blocksWhere)
    .replace("/*unnest*/", () => unnest)
    .replace("/*row_where*/", () => conditions(f, "q", params, false));
}
