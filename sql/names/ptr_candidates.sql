-- ptr_candidates: clients of the recent statistics whose PTR name is not cached or expired,
--   never looked up first, then the longest expired.
-- Columns: address (text). Parameters: $1 first day (date), $2 now (timestamptz), $3 limit.
--   Read-only.
select host(c.client_ip) as address
from (select distinct client_ip from dns_daily_clients where stat_date >= $1::date) c
left join dns_client_ptr p on p.address = c.client_ip
where p.address is null or p.expires_at <= $2::timestamptz
order by p.expires_at nulls first, c.client_ip
limit $3
