-- daily_clients: one row per client of the day.
-- Parameters: $1 node_name, $2 day (date).
insert into dns_daily_clients
select $2::date, $1, client_ip, sum(hits), count(distinct domain), sum(noerror),
  sum(nxdomain), sum(servfail), sum(refused), sum(other), sum(unknown), min(first_seen),
  max(last_seen)
from rollup_day
group by client_ip
