-- query_rows: the rows of the raw query search (lib/search/query_search.ts), before paging:
--   every query of dns_queries plus every orphan query-errors line (a `query failed` or
--   response line joined to no query: a failed query of its own, as the statistics count it).
-- Columns: the dns_queries columns (node_id, not its name), `source` ('query' or 'orphan'),
--   and `row_key`: the md5 of every column that tells two rows of one instant apart (joined
--   with \x01), compared bytewise, so newest-first order (queried_at desc, row_key desc) is total up to
--   rows that are equal in everything.
-- Parameters: none of its own. The caller replaces the queries marker with dns_queries (or
--   sql/search/page_rows.sql: the rows a page's first phase found), the query_where marker and
--   the error_where marker with `and ...` conditions over the aliases q and e (its positional
--   parameters) and wraps this text as a subquery. Read-only.
select q.queried_at, q.node_id, q.client_ip, q.client_port, q.domain, q.apex_domain, q.qtype,
  q.qclass, q.flags, q.response_rcode, q.cached, q.transport, q.view, q.recursion_desired,
  q.edns_version, q.dnssec_ok, q.checking_disabled, q.client_subnet, q.server_ip,
  q.error_reason, q.rcode_source, q.latency_us, q.response_size, q.response_flags,
  q.answer_count, 'query'::text as source,
  md5(concat_ws(E'\x01', q.node_id, q.client_ip, coalesce(q.client_port, -1), q.qtype, q.qclass,
    q.flags, q.response_rcode, q.transport, q.view, q.server_ip, q.client_subnet, q.error_reason,
    q.latency_us, q.response_size, q.response_flags, q.answer_count, 'q', q.domain))
    collate "C" as row_key
from /*queries*/ q
where true /*query_where*/
union all
select e.logged_at, e.node_id, e.client_ip, e.client_port, e.domain, e.apex_domain, e.qtype,
  e.qclass, null::text, e.response_rcode, null::boolean, null::text, e.view, null::boolean,
  null::smallint, null::boolean, null::boolean, null::inet, null::inet,
  e.reason, 'query-errors'::text, null::integer, null::integer, null::text,
  null::smallint, 'orphan'::text,
  md5(concat_ws(E'\x01', e.node_id, e.client_ip, coalesce(e.client_port, -1), e.qtype, e.qclass,
    e.response_rcode, e.view, e.reason, 'o', e.domain)) collate "C"
from dns_query_errors e
where e.matched_query_at is null and e.kind in ('failed', 'response') /*error_where*/
