-- errors_unmatched: query-errors and response lines of a node not yet joined to a query,
--   logged within [$2, $3], oldest first.
-- Parameters: $1 node_id, $2 from, $3 to (timestamptz). Read-only.
select ctid::text as tid, kind, logged_at, host(client_ip) as ip,
  coalesce(client_port, -1) as port, domain, qtype, reason, response_rcode
from dns_query_errors
where node_id = $1
  and matched_query_at is null
  and kind <> 'ratelimit'
  and logged_at >= $2 and logged_at <= $3
  and domain is not null and qtype is not null
order by logged_at
