-- window_clients: the address of each client hash of a window.
-- Parameters: $1 node_id, $2 start, $3 end (timestamptz). Read-only.
select hashinetextended(c.client_ip, 0)::text as h, host(c.client_ip) as ip
from (
  select distinct client_ip from dns_queries
  where node_id = $1 and queried_at >= $2::timestamptz and queried_at < $3::timestamptz
  union
  select distinct client_ip from dns_query_errors
  where node_id = $1 and logged_at >= $2::timestamptz and logged_at < $3::timestamptz
    and matched_query_at is null and kind in ('failed', 'response')
) c
