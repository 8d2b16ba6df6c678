-- stream_rows: every row of the raw query search for a stream (sql/search/query_stream.sql:
--   CSV and JSON exports), as sql/search/query_rows.sql has them but without row_key (a
--   stream is ordered by queried_at only), in an order that needs no sort of the whole
--   result: the units (blocks by their span, staged rows and orphan query-errors lines by
--   their instant) are grouped into clusters of overlapping spans, disjoint in time, and each
--   row carries k, the end of its cluster. Ordered by k then queried_at, newest first, that is
--   newest first overall, and a stream sorted by k (the units are) is sorted by queried_at
--   one cluster at a time (an incremental sort: a few blocks in memory, first rows at once).
--   A block's rows are read by lib/search/block_rows.ts (one unnest of its arrays, outcomes
--   looked up only in blocks that have any).
-- Columns: the dns_queries columns (node_id, not its name), `source` ('query' or 'orphan')
--   and k (timestamptz).
-- Parameters: none of its own. The caller replaces the blocks_where marker with `and ...`
--   conditions over the blocks b, the blocks marker with the FROM clause of
--   sql/search/block_rows.sql (every column; its blocks the unit's), and the staged_where and
--   error_where markers with `and ...` conditions over q and e. Read-only.
select u.k, r.*
from (
  select c.kind, c.block_id, c.first_at, c.id, c.tid, max(c.hi) over (partition by c.cluster) as k
  from (
    select s.*, sum(s.starts) over (order by s.lo, s.hi rows unbounded preceding) as cluster
    from (
      select s.*, case when s.lo > max(s.hi) over (order by s.lo, s.hi
        rows between unbounded preceding and 1 preceding) then 1 else 0 end as starts
      from (
        select 'b'::text as kind, b.block_id, b.first_at, null::bigint as id, null::tid as tid,
          b.first_at as lo, b.last_at as hi
        from dns_query_blocks b
        where true /*blocks_where*/
        union all
        select 's', null, null, q.id, null, q.queried_at, q.queried_at
        from dns_query_staged q
        where true /*staged_where*/
        union all
        select 'e', null, null, null, e.ctid, e.logged_at, e.logged_at
        from dns_query_errors e
        where e.matched_query_at is null and e.kind in ('failed', 'response') /*error_where*/
      ) s
    ) s
  ) c
  order by k desc
) u
cross join lateral (
  select q.queried_at, q.node_id, q.client_ip, q.client_port, q.domain, q.apex_domain, q.qtype,
    q.qclass, q.flags, q.response_rcode, q.cached, q.transport, q.view, q.recursion_desired,
    q.edns_version, q.dnssec_ok, q.checking_disabled, q.client_subnet, q.server_ip,
    q.error_reason, q.rcode_source, q.latency_us, q.response_size, q.response_flags,
    q.answer_count, 'query'::text as source
  from /*blocks*/
  union all
  select q.queried_at, q.node_id, q.client_ip, q.client_port, q.domain, q.apex_domain, q.qtype,
    q.qclass, q.flags, q.response_rcode, q.cached, q.transport, q.view, q.recursion_desired,
    q.edns_version, q.dnssec_ok, q.checking_disabled, q.client_subnet, q.server_ip,
    q.error_reason, q.rcode_source, q.latency_us, q.response_size, q.response_flags,
    q.answer_count, 'query'::text
  from dns_query_staged q
  where u.kind = 's' and q.id = u.id
  union all
  select e.logged_at, e.node_id, e.client_ip, e.client_port, e.domain, e.apex_domain, e.qtype,
    e.qclass, null::text, e.response_rcode, null::boolean, null::text, e.view, null::boolean,
    null::smallint, null::boolean, null::boolean, null::inet, null::inet,
    e.reason, 'query-errors'::text, null::integer, null::integer, null::text,
    null::smallint, 'orphan'::text
  from dns_query_errors e
  where u.kind = 'e' and e.ctid = u.tid
) r
