-- daily_domains: one row per domain of the day (all qtypes).
-- Parameters: $1 node_name, $2 day (date).
insert into dns_daily_domains
select $2::date, $1, domain, max(apex_domain), sum(hits), count(*), sum(noerror),
  sum(nxdomain), sum(servfail), sum(refused), sum(other), sum(unknown), min(first_seen),
  max(last_seen), (array_agg(client_hash order by client_hash))[1:256]
from (
  select domain, max(apex_domain) as apex_domain, client_hash, sum(hits) as hits,
    sum(noerror) as noerror, sum(nxdomain) as nxdomain, sum(servfail) as servfail,
    sum(refused) as refused, sum(other) as other, sum(unknown) as unknown,
    min(first_seen) as first_seen, max(last_seen) as last_seen
  from rollup_day
  group by domain, client_ip, client_hash
) c
group by domain
