-- stream_rows: every row of the raw query search for a stream (sql/search/query_stream.sql:
--   CSV and JSON exports), as sql/search/query_rows.sql has them but without row_key (a
--   stream is ordered by queried_at only): the block rows read by lib/search/block_rows.ts
--   (one unnest of a block's arrays, the outcome overlay only for blocks that have outcomes,
--   no per-row join otherwise), the staged rows and the orphan query-errors lines.
-- Columns: the dns_queries columns (node_id, not its name) and `source` ('query' or 'orphan').
-- Parameters: none of its own. The caller replaces the blocks marker with the FROM clause of
--   sql/search/block_rows.sql (every column asked for) and the staged_where and error_where
--   markers with `and ...` conditions over q and e. Read-only.
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
where true /*staged_where*/
union all
select e.logged_at, e.node_id, e.client_ip, e.client_port, e.domain, e.apex_domain, e.qtype,
  e.qclass, null::text, e.response_rcode, null::boolean, null::text, e.view, null::boolean,
  null::smallint, null::boolean, null::boolean, null::inet, null::inet,
  e.reason, 'query-errors'::text, null::integer, null::integer, null::text,
  null::smallint, 'orphan'::text
from dns_query_errors e
where e.matched_query_at is null and e.kind in ('failed', 'response') /*error_where*/
