/**
 * A page of the raw query search in two phases (the blocks of migration 0027).
 *
 * Phase 1 finds which rows the page can hold: the blocks the filter's block conditions allow
 * (span, clients and apex summaries: indexes only, no array read), newest last_at first, are
 * read in batches (1, 2, 4, … up to 256 blocks), each giving the times of its matching
 * rows from only the arrays the filter needs (lib/search/block_rows.ts); the walk stops once
 * `want` rows are found and the next block ends before the `want`-th newest of them. Staged
 * rows and orphan query-errors lines are counted by their times alongside.
 * Phase 2 reads the whole rows of those (block, index) keys only, plus the staged and orphan
 * rows from the page's oldest instant on, and orders and cuts them exactly as the single
 * statement over dns_queries did (sql/search/query_page.sql: queried_at, then row_key), so a
 * page is the same whatever phase 1 read. Both phases run in one repeatable-read transaction:
 * a block packed or merged meanwhile cannot move rows between them.
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import type { QueryFilter } from "./filter.ts";
import { blockRowsFrom } from "./block_rows.ts";
import {
  blocksWhere,
  conditions,
  type PageCursor,
  type PageKeys,
  pageStatement,
  usLiteral,
} from "./query_sql.ts";
import blockList from "../../sql/search/block_list.sql" with { type: "text" };
import sideTimes from "../../sql/search/side_times.sql" with { type: "text" };

/**
 * Run at the start of a page's or a drill-down's transaction: the block summaries are then
 * read through their GIN indexes (see blocksWhere), never as a filter of a scan that reads
 * each block's summary from TOAST, which the planner prefers when most blocks match. JIT
 * goes off with it: the penalty on sequential scans makes every plan look costly enough to
 * compile (0.8 s of compiling for a 10 ms statement).
 */
export const SEQSCAN_OFF =
  "select set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)";

/** The most blocks one batch of phase 1 reads. */
const MAX_BATCH = 256;

interface Block {
  block_id: number;
  first_us: number;
  last_us: number;
}

interface Found {
  block_id: number;
  first_us: number;
  idx: number;
  t: number;
}

// deno-lint-ignore no-explicit-any
type Params = any[];

/** Epoch microseconds of a cursor's UTC text (`2026-11-25T20:43:16.780123Z`). */
export function cursorMicros(at: string): number {
  return Date.parse(at.slice(0, 23) + "Z") * 1000 + Number(at.slice(23, 26));
}

/** The blocks that may hold rows of `f` at or before `upperUs`, newest last_at first. */
async function listBlocks(sql: Sql, f: QueryFilter, upperUs: number | null): Promise<Block[]> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  let where = blocksWhere(f, p);
  if (upperUs !== null) where += ` and b.first_at <= ${usLiteral(p(upperUs))}`;
  const text = blockList.replace("/*where*/", () => where);
  return await sql.unsafe<Block[]>(text, params as Params);
}

/** The matching rows of `blocks` in [lowUs, upperUs), `want` newest with ties (or all at `eqUs`). */
async function matchBlocks(
  sql: Sql,
  f: QueryFilter,
  blocks: Block[],
  range: { lowUs: number | null; upperUs: number | null; eqUs?: number; want: number },
): Promise<Found[]> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const lo = Math.min(...blocks.map((b) => b.first_us));
  const hi = Math.max(...blocks.map((b) => b.first_us));
  const blocksWhere = ` and b.block_id = any(${p(blocks.map((b) => b.block_id))}::bigint[])` +
    ` and b.first_at >= ${usLiteral(p(lo))} and b.first_at <= ${usLiteral(p(hi))}`;
  const from = blockRowsFrom(f, params, { blocksWhere });
  let where = "";
  let tail = "";
  if (range.eqUs !== undefined) where = ` and q.t = ${p(range.eqUs)}::bigint`;
  else {
    if (range.upperUs !== null) where += ` and q.t < ${p(range.upperUs)}::bigint`;
    if (range.lowUs !== null) where += ` and q.t >= ${p(range.lowUs)}::bigint`;
    tail = ` order by q.t desc fetch first (${p(range.want)}::bigint) rows with ties`;
  }
  const text = `select q.block_id::float8 as block_id, q.first_us::float8 as first_us, ` +
    `q.idx::float8 as idx, q.t::float8 as t from ${from}${where}${tail}`;
  return await sql.unsafe<Found[]>(text, params as Params);
}

/** The times of the staged rows and orphan lines of `f` before `upperUs`, `want` newest. */
async function sideRowTimes(
  sql: Sql,
  f: QueryFilter,
  upperUs: number | null,
  want: number,
): Promise<number[]> {
  const params: unknown[] = [];
  const text = sideTimes
    .replace("/*staged_where*/", () => conditions(f, "q", params, false))
    .replace("/*error_where*/", () => conditions(f, "e", params));
  params.push(upperUs, want);
  const n = params.length;
  const got = await sql.unsafe<{ t: number }[]>(
    text.replaceAll("/*upper*/", () => `$${n - 1}::bigint`).replace(
      "/*want*/",
      () => `$${n}::bigint`,
    ),
    params as Params,
  );
  return got.map((r) => r.t);
}

/** The time of the `want`-th newest of `times` (sorted newest first), or null. */
function threshold(times: number[], want: number): number | null {
  return times.length >= want ? times[want - 1] : null;
}

/**
 * Phase 1: the keys of every block row the page can hold, and the page's oldest instant
 * (null: the search has fewer rows than `want`, every one of them is in the keys).
 */
export async function findPageKeys(
  sql: Sql,
  f: QueryFilter,
  want: number,
  cursor: PageCursor | null,
): Promise<PageKeys> {
  const upperUs = cursor ? cursorMicros(cursor.at) : null;
  const [blocks, side] = [
    await listBlocks(sql, f, upperUs),
    await sideRowTimes(sql, f, upperUs, want),
  ];
  let found: Found[] = [];
  if (upperUs !== null) {
    // Every row at the cursor's instant: the page decides among them by row_key.
    const at = blocks.filter((b) => b.first_us <= upperUs && b.last_us >= upperUs);
    if (at.length > 0) {
      found = await matchBlocks(sql, f, at, { lowUs: null, upperUs, eqUs: upperUs, want });
    }
  }
  const atCursor = found;
  let below: Found[] = [];
  let times = side;
  let low = threshold(times, want);
  let next = 0, batch = 1;
  while (next < blocks.length) {
    const take: Block[] = [];
    while (next < blocks.length && take.length < batch) {
      const b = blocks[next];
      if (low !== null && b.last_us < low) break;
      take.push(b);
      next++;
    }
    if (take.length === 0) break;
    const got = await matchBlocks(sql, f, take, { lowUs: low, upperUs, want });
    below = below.concat(got).sort((a, b) => b.t - a.t);
    times = mergeDesc(times, got.map((r) => r.t));
    low = threshold(times, want);
    if (low !== null) below = below.filter((r) => r.t >= low!);
    batch = Math.min(batch * 2, MAX_BATCH);
  }
  const rows = atCursor.concat(below);
  return {
    blockIds: rows.map((r) => r.block_id),
    firstUs: rows.map((r) => r.first_us),
    idx: rows.map((r) => r.idx),
    fromUs: low,
  };
}

function mergeDesc(a: number[], b: number[]): number[] {
  return a.concat(b).sort((x, y) => y - x);
}

/** One page's rows (at most `want`, as sql/search/query_page.sql gives them), in two phases. */
export async function pageRows(
  sql: Sql,
  f: QueryFilter,
  want: number,
  cursor: PageCursor | null,
): Promise<Record<string, unknown>[]> {
  return await sql.begin("isolation level repeatable read", async (tx) => {
    const q = tx as unknown as Sql;
    await q.unsafe(SEQSCAN_OFF);
    const keys = await findPageKeys(q, f, want, cursor);
    const st = pageStatement(f, want, cursor, keys);
    return await q.unsafe(st.text, st.params as Params) as Record<string, unknown>[];
  }) as Record<string, unknown>[];
}
