-- top-clients: queries per client address, most active first (then by address).
-- Columns: client_ip, client_name (dns_client_best_names; NULL = no name known), hit_count,
--   the rcode split, first_seen, last_seen.
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit. Reads dns_daily_clients.
with top as (
  select k from dnsa_top_keys('dns_daily_clients', 'client_ip', 'hit_count', $1::date, $2::date,
    $3::text[], $4::int)
)
select host(x.client_ip) as client_ip,
  (select n.name from dns_client_best_names n where n.address = x.client_ip) as client_name,
  sum(x.hit_count)::bigint as hit_count,
  sum(x.noerror_count)::bigint as noerror_count, sum(x.nxdomain_count)::bigint as nxdomain_count,
  sum(x.servfail_count)::bigint as servfail_count, sum(x.refused_count)::bigint as refused_count,
  sum(x.other_count)::bigint as other_count, sum(x.unknown_count)::bigint as unknown_count,
  min(x.first_seen) as first_seen, max(x.last_seen) as last_seen
from dns_daily_clients x
  join dnsa_report_scope($1::date, $2::date, $3::text[]) p using (stat_date, node_name)
where x.client_ip = any(array(select k from top)::inet[])
group by x.client_ip
order by hit_count desc, x.client_ip
limit $4
