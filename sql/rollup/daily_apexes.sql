-- daily_apexes: one row per registrable domain of the day.
-- Parameters: $1 node_name, $2 day (date).
with per_client as (
  select apex_domain, client_hash, sum(hits) as hits, sum(noerror) as noerror,
    sum(nxdomain) as nxdomain, sum(servfail) as servfail, sum(refused) as refused,
    sum(other) as other, sum(unknown) as unknown
  from rollup_day
  group by apex_domain, client_ip, client_hash
),
domains as (
  select apex_domain, count(*) as n
  from dns_daily_domains
  where node_name = $1 and stat_date = $2::date
  group by apex_domain
)
insert into dns_daily_apexes
select $2::date, $1, c.apex_domain, sum(c.hits), count(*), max(d.n), sum(c.noerror),
  sum(c.nxdomain), sum(c.servfail), sum(c.refused), sum(c.other), sum(c.unknown),
  (array_agg(c.client_hash order by c.client_hash))[1:256]
from per_client c
left join domains d on d.apex_domain is not distinct from c.apex_domain
group by c.apex_domain
