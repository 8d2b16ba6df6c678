-- hourly_totals: one row per hour of the window's hours in [from, to).
-- Parameters: $1 node_name, $2 from, $3 to (timestamptz).
with per_client as (
  select h, client_ip, hashinetextended(client_ip, 0) as client_hash, sum(hits) as hits,
    sum(noerror) as noerror, sum(nxdomain) as nxdomain, sum(servfail) as servfail,
    sum(refused) as refused, sum(other) as other, sum(unknown) as unknown
  from rollup_base
  where h >= $2::timestamptz and h < $3::timestamptz
  group by h, client_ip
),
domains as (
  select h, count(distinct domain) as n
  from rollup_base
  where h >= $2::timestamptz and h < $3::timestamptz
  group by h
)
insert into dns_hourly_totals
select c.h, $1, sum(c.hits), count(*), max(d.n), sum(c.noerror), sum(c.nxdomain),
  sum(c.servfail), sum(c.refused), sum(c.other), sum(c.unknown),
  (array_agg(c.client_hash order by c.client_hash))[1:256]
from per_client c join domains d using (h)
group by c.h
