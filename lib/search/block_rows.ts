/**
 * The matching rows of dns_queries' blocks (migration 0027) with only the columns a statement
 * needs: the search's first phase (which rows of which blocks, and when) and the drill-downs.
 * The view dns_queries unnests every array of a block; here a block gives only the arrays that
 * the filter and the caller read, and a filter on one client address, one name or one apex
 * finds its rows with `array_positions` (C, no row per element) before anything else is read.
 *
 * The text is a FROM clause over the blocks `b` that the caller's conditions select, giving
 * alias `q`: block_id, first_us (the block's first_at as epoch microseconds), idx (1-based,
 * as the view's), t (queried_at as epoch microseconds), queried_at, node_id and the columns
 * asked for; the filter's row conditions (not its block conditions) apply to it.
 *
 * @module
 */
import type { QueryFilter } from "./filter.ts";
import { conditions, filterApex } from "./query_sql.ts";
import blockRows from "../../sql/search/block_rows.sql" with { type: "text" };

/** The array type of each column of dns_query_blocks a statement may read. */
export const ARRAY_TYPES = {
  at_us: "bigint[]",
  client_ip: "inet[]",
  client_port: "integer[]",
  domain: "text[]",
  apex_domain: "text[]",
  qtype: "text[]",
  flags: "text[]",
  response_rcode: "text[]",
  cached: "boolean[]",
  qclass: "text[]",
  view: "text[]",
  transport: "text[]",
  recursion_desired: "boolean[]",
  edns_version: "smallint[]",
  dnssec_ok: "boolean[]",
  checking_disabled: "boolean[]",
  client_subnet: "inet[]",
  server_ip: "inet[]",
  error_reason: "text[]",
  rcode_source: "text[]",
  latency_us: "integer[]",
  response_size: "integer[]",
  response_flags: "text[]",
  answer_count: "smallint[]",
} as const;

/** A column of the blocks' arrays a statement may read (besides the time). */
export type RowColumn = Exclude<keyof typeof ARRAY_TYPES, "at_us">;

/** Every column of a query, in the view's order. */
export const ALL_COLUMNS = Object.keys(ARRAY_TYPES).slice(1) as RowColumn[];

/**
 * The columns a block may leave to its flags (migration 0035: its `transport` array is NULL),
 * with the function that reads each from a query's flags.
 */
export const FLAG_COLUMNS: Readonly<Partial<Record<RowColumn, string>>> = {
  transport: "dnsa_flags_transport",
  recursion_desired: "dnsa_flags_rd",
  edns_version: "dnsa_flags_edns",
  dnssec_ok: "dnsa_flags_do",
  checking_disabled: "dnsa_flags_cd",
};

/** The block-level column that says a block's flag columns come from its flags. */
export const FLAGS_DERIVED = "b.transport is null as flags_derived";

/**
 * The arrays to read for the columns `cols` (at_us first): `flags` too when a column derived
 * from it is among them.
 */
export function arraysFor(cols: ReadonlySet<RowColumn>): (RowColumn | "at_us")[] {
  const all: (RowColumn | "at_us")[] = ["at_us", ...cols];
  if (!cols.has("flags") && readsFlagColumns(cols)) all.push("flags");
  return all;
}

/** `, u.c` for each column of `cols`, a flag column taken from the flags where the block says. */
export function rowColumns(cols: ReadonlySet<RowColumn>): string {
  return [...cols].map((c) => {
    const fn = FLAG_COLUMNS[c];
    return fn
      ? `, case when b.flags_derived then ${fn}(u.flags) else u.${c} end as ${c}`
      : `, u.${c}`;
  }).join("");
}

/** Whether a statement reading `cols` needs {@linkcode FLAGS_DERIVED}. */
export function readsFlagColumns(cols: ReadonlySet<RowColumn>): boolean {
  return [...cols].some((c) => c in FLAG_COLUMNS);
}

/** The columns a later line's outcome (dns_query_outcomes) overrides. */
const OUTCOME_COLUMNS: readonly RowColumn[] = [
  "response_rcode",
  "error_reason",
  "rcode_source",
];

/** Above this many rows of a block with the key's value, the block is unnested. */
const SUBSCRIPT_ROWS = 256;

/** The columns the row conditions of `f` read. */
export function filterColumns(f: QueryFilter): Set<RowColumn> {
  const out = new Set<RowColumn>();
  if (f.client) out.add("client_ip");
  if (f.domain) out.add("domain");
  if (f.apex !== null) out.add("apex_domain");
  if (f.qtypes) out.add("qtype");
  if (f.rcodes || f.unknownRcode) out.add("response_rcode");
  if (f.transports) out.add("transport");
  return out;
}

/** Options of {@linkcode blockRowsFrom}. */
export interface BlockRowsOptions {
  /** Columns wanted besides those the filter reads. */
  columns?: RowColumn[];
  /** `and …` conditions over the blocks `b` (dns_query_blocks) to read. */
  blocksWhere: string;
}

/**
 * `(…) b cross join lateral (…) q where true and …`: the rows of the selected blocks that
 * match `f`, as alias `q` (see the module). Parameters go to `params`.
 */
export function blockRowsFrom(
  f: QueryFilter,
  params: unknown[],
  options: BlockRowsOptions,
): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const cols = filterColumns(f);
  for (const c of options.columns ?? []) cols.add(c);
  // The rows of one address, one name or one apex: their indexes first, then subscripts of
  // copies of the arrays made once per block (a subscript of a stored array would read it
  // from TOAST again each time).
  const key = filterKey(f, cols, p);
  const all = arraysFor(cols);
  const unnestAll = `unnest(${all.map((c) => `b.${c}`).join(", ")}) with ordinality as u(${
    [...all, "idx"].join(", ")
  })`;
  const arrays = all.map((c) =>
    key === null ? `b.${c}` : `b.${c} || '{}'::${ARRAY_TYPES[c]} as ${c}`
  ).join(", ");
  let source = unnestAll;
  if (key !== null) {
    // A subscript of a text or inet array walks it from its start: a block with many rows of
    // the value (a busy client) is unnested instead, as without a key.
    const list = ["idx", ...all].map((c) => `u.${c}`).join(", ");
    source = `(select x.* from (select array_positions(b.${key.column}, ${key.value}) as pos ` +
      `offset 0) p cross join lateral (` +
      `select i.idx, ${all.map((c) => `b.${c}[i.idx] as ${c}`).join(", ")} ` +
      `from unnest(p.pos) as i(idx) where cardinality(p.pos) <= ${SUBSCRIPT_ROWS} ` +
      `union all select ${list} from ${unnestAll} ` +
      `where cardinality(p.pos) > ${SUBSCRIPT_ROWS} and u.${key.column} = ${key.value}) x) u`;
  }
  const { colsOut, outcome, hasOutcomes } = outcomeOverlay(cols);
  const extra = [hasOutcomes, readsFlagColumns(cols) ? FLAGS_DERIVED : ""].filter((x) => x);
  return blockRows
    .replace("/*arrays*/", () => [arrays, ...extra].join(", "))
    .replace("/*blocks_where*/", () => options.blocksWhere)
    .replace("/*source*/", () => source)
    .replace("/*columns*/", () => rowColumns(cols) + outcome)
    .replace("/*out_columns*/", () => colsOut.map((c) => `, ${c}`).join(""))
    .replace("/*row_where*/", () => conditions(f, "q", params, false));
}

/**
 * The outcome overlay of the columns `cols` a statement reads: a row's outcome (a later
 * query-errors line, dns_query_outcomes) is looked up only in blocks that have any
 * (`hasOutcomes`, a column of the block; empty when no column of `cols` is overridden), as one
 * record per row (`outcome`, `, … as oc` over b and u): no join, so a block without outcomes
 * costs nothing more; `colsOut` gives each column as q with the overlay applied.
 */
export function outcomeOverlay(cols: ReadonlySet<RowColumn>) {
  const rcode = OUTCOME_COLUMNS.some((c) => cols.has(c));
  const colsOut = [...cols].map((c) =>
    OUTCOME_COLUMNS.includes(c)
      ? `case when q.oc is null then q.${c} else (q.oc).${c} end as ${c}`
      : `q.${c}`
  );
  const outcome = rcode
    ? ", case when b.has_outcomes then (select o from dns_query_outcomes o " +
      "where o.first_at = b.first_at and o.block_id = b.block_id and o.idx = u.idx) end as oc"
    : "";
  const hasOutcomes = rcode
    ? "exists (select from dns_query_outcomes o where o.first_at = b.first_at " +
      "and o.block_id = b.block_id) as has_outcomes"
    : "";
  return { colsOut, outcome, hasOutcomes };
}

/**
 * The one value whose rows a filter asks for, found by `array_positions` in its column: a
 * client address, an exact name, or an apex (then added to `cols`); null for other filters.
 * `p` turns a value into a parameter.
 */
export function filterKey(
  f: QueryFilter,
  cols: Set<RowColumn>,
  p: (v: unknown) => string,
): { column: RowColumn; value: string } | null {
  const apex = filterApex(f);
  if (f.client?.kind === "ip") return { column: "client_ip", value: `${p(f.client.value)}::inet` };
  if (f.domain?.kind === "exact") return { column: "domain", value: `${p(f.domain.value)}::text` };
  if (apex === null) return null;
  cols.add("apex_domain");
  return { column: "apex_domain", value: `${p(apex)}::text` };
}
