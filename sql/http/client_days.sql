-- client_days: one client address's queries per day, for GET /api/client.
-- Columns: stat_date (text, YYYY-MM-DD), hit_count, the rcode split (noerror, nxdomain,
--   servfail, refused, other, unknown counts).
-- Parameters: $1 client address (inet), $2 first day, $3 last day (date, inclusive), $4 node
--   names (text[], NULL = all nodes). Reads dns_daily_clients through its (client_ip,
--   stat_date) index. Read-only; safe to re-run.
select stat_date::text as stat_date, sum(hit_count)::bigint as hit_count,
  sum(noerror_count)::bigint as noerror_count, sum(nxdomain_count)::bigint as nxdomain_count,
  sum(servfail_count)::bigint as servfail_count, sum(refused_count)::bigint as refused_count,
  sum(other_count)::bigint as other_count, sum(unknown_count)::bigint as unknown_count
from dns_daily_clients
where client_ip = $1::inet and stat_date >= $2::date and stat_date <= $3::date
  and ($4::text[] is null or node_name = any($4::text[]))
group by stat_date
order by stat_date
