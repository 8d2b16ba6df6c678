-- side_times: the times of the search's rows that are not in blocks, the staged rows
--   (dns_query_staged, not packed yet) and the orphan query-errors lines, newest first, the
--   first want of them with ties (the first phase of a page, lib/search/page_walk.ts).
-- Columns: t (epoch microseconds, float8).
-- Parameters: the caller replaces the staged_where and error_where markers with `and ...`
--   conditions over q and e, the upper marker with an exclusive bound on t (bigint, NULL =
--   none) and the want marker with the count. Read-only.
select x.t::float8 as t from (
  select (extract(epoch from q.queried_at) * 1000000)::bigint as t
  from dns_query_staged q
  where true /*staged_where*/
  union all
  select (extract(epoch from e.logged_at) * 1000000)::bigint
  from dns_query_errors e
  where e.matched_query_at is null and e.kind in ('failed', 'response') /*error_where*/
) x
where /*upper*/ is null or x.t < /*upper*/
order by x.t desc
fetch first (/*want*/) rows with ties
