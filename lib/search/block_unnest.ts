/**
 * The matching rows of dns_queries' blocks for the statements that read many rows of each
 * block: the streams (CSV and JSON exports, sql/search/stream_rows.sql) and the drill-downs
 * (lib/search/top_sql.ts). The same rows and columns as lib/search/block_rows.ts gives, read
 * differently (sql/search/block_unnest.sql): a block read whole is unnested by set-returning
 * functions in a select list, three times faster than unnest in FROM, which writes every array
 * of the block into a tuple store before the first row; a key (one client address, one name,
 * one apex) finds its rows with `array_positions`, and the other arrays are subscripted at
 * those positions as expanded arrays, one step per element however many rows the block has of
 * the value (a subscript of a stored text or inet array walks it from its start, so
 * lib/search/block_rows.ts unnests a block with more than 256 of them).
 *
 * @module
 */
import type { QueryFilter } from "./filter.ts";
import {
  ARRAY_TYPES,
  arraysFor,
  filterColumns,
  filterKey,
  FLAGS_DERIVED,
  outcomeOverlay,
  readsFlagColumns,
  type RowColumn,
  rowColumns,
} from "./block_rows.ts";
import { conditions } from "./query_sql.ts";
import blockUnnest from "../../sql/search/block_unnest.sql" with { type: "text" };

/**
 * `(…) b cross join lateral (…) q where true and …`: the rows of the blocks `b` that
 * `blocksWhere` (`and …` over b) selects and that match `f`, as alias `q` (block_id, first_at,
 * idx, queried_at, node_id and `columns` besides those the filter reads). Parameters go to
 * `params`.
 */
export function blockUnnestFrom(
  f: QueryFilter,
  params: unknown[],
  options: { columns: readonly RowColumn[]; blocksWhere: string },
): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const cols = filterColumns(f);
  for (const c of options.columns) cols.add(c);
  const key = filterKey(f, cols, p);
  const all = arraysFor(cols);
  let source = `select generate_series(1, cardinality(b.at_us)) as idx, ` +
    all.map((c) => `unnest(b.${c}) as ${c}`).join(", ");
  let arrays = all.map((c) => `b.${c}`);
  let expanded = [...arrays];
  if (key !== null) {
    const k = key;
    // The key's column is the key's value at each of its positions; the other arrays are
    // subscripted, as expanded arrays (array_append of one NULL past the end makes one) when
    // the block has more than one position.
    source = `select i.idx, ${
      all.map((c) => c === k.column ? `${k.value} as ${c}` : `b.${c}[i.idx] as ${c}`).join(", ")
    } from unnest(b.pos) as i(idx)`;
    const rest = all.filter((c) => c !== k.column);
    arrays = [`array_positions(b.${k.column}, ${k.value}) as pos`, ...rest.map((c) => `b.${c}`)];
    expanded = [
      "b.pos",
      ...rest.map((c) =>
        `case when cardinality(b.pos) > 1 then array_append(b.${c}, null::${
          ARRAY_TYPES[c].slice(0, -2)
        }) else b.${c} end as ${c}`
      ),
    ];
  }
  const { colsOut, outcome, hasOutcomes } = outcomeOverlay(cols);
  if (hasOutcomes) {
    arrays.push(hasOutcomes);
    expanded.push("b.has_outcomes");
  }
  if (readsFlagColumns(cols)) {
    arrays.push(FLAGS_DERIVED);
    expanded.push("b.flags_derived");
  }
  return blockUnnest
    .replace("/*arrays*/", () => arrays.join(", "))
    .replace("/*expanded*/", () => expanded.join(", "))
    .replace("/*blocks_where*/", () => options.blocksWhere)
    .replace("/*source*/", () => source)
    .replace("/*columns*/", () => rowColumns(cols) + outcome)
    .replace("/*out_columns*/", () => colsOut.map((c) => `, ${c}`).join(""))
    .replace("/*row_where*/", () => conditions(f, "q", params, false));
}
