-- match_candidates: query rows that a query-errors (or response) line may belong to: same
--   client address, port, name and type, within [$2, $3], not yet joined to a line of kind $4.
--   A row is named by its block and position (toid = block_id, tid = idx), or, while it is
--   still staged (dns_query_staged, migration 0027), by toid 0 and its id.
-- Parameters: $1 node_id, $2 from, $3 to, $4 kind ('failed' or 'response'), then the keys
--   as parallel arrays $5 ip (text), $6 port (-1 = none), $7 domain, $8 qtype. Read-only.
select coalesce(block_id, 0)::text as toid, idx::text as tid, queried_at,
  host(client_ip) as ip, coalesce(client_port, -1) as port, domain, qtype
from dns_queries
where node_id = $1
  and queried_at >= $2 and queried_at <= $3
  and block_last_at >= $2 and block_first_at <= $3
  and case when $4 = 'failed' then error_reason is null
           else rcode_source is distinct from 'response' end
  and (host(client_ip), coalesce(client_port, -1), domain, qtype) in (
    select * from unnest($5::text[], $6::int[], $7::text[], $8::text[]))
