-- daily_qtypes: one row per qtype of the day.
-- Parameters: $1 node_name, $2 day (date).
insert into dns_daily_qtypes
select $2::date, $1, qtype, sum(hits), count(*), sum(noerror), sum(nxdomain), sum(servfail),
  sum(refused), sum(other), sum(unknown)
from (
  select qtype, client_ip, sum(hits) as hits, sum(noerror) as noerror,
    sum(nxdomain) as nxdomain, sum(servfail) as servfail, sum(refused) as refused,
    sum(other) as other, sum(unknown) as unknown
  from rollup_day
  group by qtype, client_ip
) c
group by qtype
