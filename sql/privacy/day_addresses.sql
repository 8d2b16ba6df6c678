-- day_addresses: the distinct client addresses of one day (its partition and its
--   query-errors lines) that are not pseudonyms yet (outside 100::/64).
-- Parameters: $1 day start, $2 day end (timestamptz). Read-only; run inside the rewrite's
--   transaction after the partition is locked.
select host(a)::text as address from (
  select client_ip as a from dns_queries
  where queried_at >= $1::timestamptz and queried_at < $2::timestamptz
    and block_last_at >= $1::timestamptz and block_first_at < $2::timestamptz
  union
  select client_ip from dns_query_errors
  where logged_at >= $1::timestamptz and logged_at < $2::timestamptz
) t
where not (a << '100::/64'::inet)
