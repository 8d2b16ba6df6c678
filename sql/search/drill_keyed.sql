-- drill_keyed: a drill-down's rows when the search is one value of one column (a client
--   address, a name or an apex) within a time range (lib/search/drill_keyed.ts): the rows of
--   the blocks that hold the value, at its positions (dnsa_block_rows_at, migration 0034, which
--   reads each array once per block and applies the outcome overlay), counted by key, most
--   queried first; the blocks are shared among parallel workers where the server has them. A
--   domain's apex is read from one of its rows once the top keys are known, not from every
--   row.
-- Columns: as sql/search/top_by.sql (key, apex_domain, hit_count, the rcode split,
--   first_seen, last_seen).
-- Parameters: none of its own. The caller replaces the key marker with the key's expression
--   over x (the function's row), the value marker with the value's parameter, the column
--   marker with the array it is found in, the key_array marker with the array counted by, the
--   blocks_where marker with `and ...` conditions over b, the row_where marker with `and ...`
--   bounds over the row's instant r.queried_at, the apex marker with true (domains) or false
--   and the at_key marker with `min(b.block_id * 1048576 + x.idx)` (domains) or NULL,
--   and the limit marker with a positional parameter. Read-only; only when the search has no
--   staged rows and no orphan lines (sql/search/drill_side.sql), which are not counted here.
select t.key,
  case when /*apex*/ then (
    select a.apex_domain[(t.at_key % 1048576)::integer] from dns_query_blocks a
    where a.block_id = t.at_key / 1048576 limit 1
  ) end as apex_domain,
  t.hit_count, t.noerror_count, t.nxdomain_count, t.servfail_count, t.refused_count,
  t.other_count, t.unknown_count, t.first_seen, t.last_seen
from (
  select /*key*/ as key, count(*) as hit_count,
    count(*) filter (where x.response_rcode = 'NOERROR') as noerror_count,
    count(*) filter (where x.response_rcode = 'NXDOMAIN') as nxdomain_count,
    count(*) filter (where x.response_rcode = 'SERVFAIL') as servfail_count,
    count(*) filter (where x.response_rcode = 'REFUSED') as refused_count,
    count(*) filter (
      where x.response_rcode not in ('NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED')
    ) as other_count,
    count(*) filter (where x.response_rcode is null) as unknown_count,
    min(r.queried_at) as first_seen, max(r.queried_at) as last_seen,
    -- One row of the key (block and position) to read its apex from; NULL when not needed.
    /*at_key*/ as at_key
  from dns_query_blocks b
  cross join lateral dnsa_block_rows_at(b.first_at, b.block_id,
    array_positions(b./*column*/, /*value*/), b./*key_array*/, b.response_rcode, b.at_us) x
  cross join lateral (
    select b.first_at + x.at_us * interval '1 microsecond' as queried_at
  ) r
  where true /*blocks_where*/ /*row_where*/
  group by 1
  order by hit_count desc, 1
  limit /*limit*/
) t
order by t.hit_count desc, t.key
