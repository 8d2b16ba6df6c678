-- query_stream: every row of the raw query search, newest first, for a cursor that streams
--   them (CSV and JSON exports, `report queries --limit 1000000`).
-- Columns: as sql/search/query_rows.sql, client_ip, client_subnet and server_ip as text,
--   without row_key. Node and client names are added by the caller from small maps (no join,
--   so rows leave in the order sql/search/stream_rows.sql gives them: sorted one cluster of
--   overlapping blocks at a time, never the whole result at once).
-- Parameters: the caller replaces the rows marker with sql/search/stream_rows.sql (its filters
--   filled in) and the limit marker with a positional parameter or `all`. Read-only.
select r.queried_at, r.node_id, host(r.client_ip) as client_ip, r.client_port, r.domain,
  r.apex_domain, r.qtype, r.qclass, r.flags, r.response_rcode, r.cached, r.transport, r.view,
  r.recursion_desired, r.edns_version, r.dnssec_ok, r.checking_disabled,
  r.client_subnet::text as client_subnet, host(r.server_ip) as server_ip, r.error_reason,
  r.rcode_source, r.latency_us, r.response_size, r.response_flags, r.answer_count, r.source
from (/*rows*/) r
order by r.k desc, r.queried_at desc
limit /*limit*/
