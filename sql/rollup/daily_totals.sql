-- daily_totals: one row for the whole day, from the day's client rows.
-- Parameters: $1 node_name, $2 day (date).
insert into dns_daily_totals
select $2::date, $1, sum(c.hit_count), count(*),
  (select count(*) from dns_daily_domains d where d.node_name = $1 and d.stat_date = $2::date),
  sum(c.noerror_count), sum(c.nxdomain_count), sum(c.servfail_count), sum(c.refused_count),
  sum(c.other_count), sum(c.unknown_count),
  (array_agg(hashinetextended(c.client_ip, 0) order by hashinetextended(c.client_ip, 0)))[1:256]
from dns_daily_clients c
where c.node_name = $1 and c.stat_date = $2::date
having count(*) > 0
