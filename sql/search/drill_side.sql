-- drill_side: whether a search has rows outside the blocks, staged rows (dns_query_staged, not
--   packed yet) or orphan query-errors lines, which sql/search/drill_keyed.sql does not count
--   (lib/search/drill_keyed.ts then counts with sql/search/top_by.sql, which reads them).
-- Columns: side (boolean).
-- Parameters: the caller replaces the staged_where and error_where markers with `and ...`
--   conditions over q and e. Read-only.
select exists (select from dns_query_staged q where true /*staged_where*/)
  or exists (
    select from dns_query_errors e
    where e.matched_query_at is null and e.kind in ('failed', 'response') /*error_where*/
  ) as side
