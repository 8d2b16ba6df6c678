-- ptr_candidates: clients whose PTR name is not cached or expired, never looked up first,
--   then the longest expired: the clients of the recent statistics, and those of the raw rows
--   of the last minutes (new clients, before a rollup has counted them).
-- Columns: address (text). Parameters: $1 first day of the statistics (date), $2 now
--   (timestamptz), $3 limit, $4 start of the raw window (timestamptz). Read-only.
select host(c.client_ip) as address
from (
  select client_ip from dns_daily_clients where stat_date >= $1::date
  union
  select client_ip from dns_queries
  where queried_at >= $4::timestamptz and block_last_at >= $4::timestamptz
) c
left join dns_client_ptr p on p.address = c.client_ip
where p.address is null or p.expires_at <= $2::timestamptz
order by p.expires_at nulls first, c.client_ip
limit $3
