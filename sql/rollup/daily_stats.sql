-- daily_stats: the seed's dns_daily_stats, one row per domain and qtype of the day.
-- Parameters: $1 node_name, $2 day (date).
insert into dns_daily_stats (stat_date, domain, apex_domain, qtype, hit_count, unique_clients,
  nxdomain_count, servfail_count, first_seen, last_seen, node_name, noerror_count,
  refused_count, other_count, unknown_count, client_hashes)
select $2::date, domain, max(apex_domain), qtype, sum(hits), count(*), sum(nxdomain),
  sum(servfail), min(first_seen), max(last_seen), $1, sum(noerror), sum(refused), sum(other),
  sum(unknown), (array_agg(client_hash order by client_hash))[1:256]
from rollup_day
group by domain, qtype
