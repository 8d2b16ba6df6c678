-- client_totals_before: what the statistics know of one client before raw retention: its
--   queries and rcode split per day (dns_daily_clients), summed.
-- Columns: days, hit_count, nxdomain_count, servfail_count, refused_count.
-- Parameters: $1 client address (inet), $2 first day (date, NULL = no bound), $3 first day
--   with raw rows (date, exclusive bound), $4 node names (text[], NULL = all). Read-only.
select count(distinct stat_date)::int as days, coalesce(sum(hit_count), 0)::bigint as hit_count,
  coalesce(sum(nxdomain_count), 0)::bigint as nxdomain_count,
  coalesce(sum(servfail_count), 0)::bigint as servfail_count,
  coalesce(sum(refused_count), 0)::bigint as refused_count
from dns_daily_clients
where client_ip = $1::inet and ($2::date is null or stat_date >= $2::date)
  and stat_date < $3::date and ($4::text[] is null or node_name = any($4::text[]))
