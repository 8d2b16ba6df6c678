-- hourly_stats: one row per hour, domain and qtype of the window's hours in [from, to).
-- Parameters: $1 node_name, $2 from, $3 to (timestamptz).
insert into dns_hourly_stats
select h, $1, domain, max(apex_domain), qtype, sum(hits), count(*), sum(noerror),
  sum(nxdomain), sum(servfail), sum(refused), sum(other), sum(unknown),
  min(first_seen), max(last_seen)
from rollup_base
where h >= $2::timestamptz and h < $3::timestamptz
group by h, domain, qtype
