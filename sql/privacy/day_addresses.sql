-- day_addresses: the distinct client addresses of one day (its partition and its
--   query-errors lines) that are not pseudonyms yet (outside 100::/64).
-- Parameters: $1 partition name (text), $2 day start, $3 day end (timestamptz). Read-only;
--   the partition name is checked by the caller (tier_days). Run inside the rewrite's
--   transaction after the partition is locked.
select host(a)::text as address from (
  select client_ip as a from dns_queries
  where queried_at >= $2::timestamptz and queried_at < $3::timestamptz
  union
  select client_ip from dns_query_errors
  where logged_at >= $2::timestamptz and logged_at < $3::timestamptz
) t
where not (a << '100::/64'::inet)
