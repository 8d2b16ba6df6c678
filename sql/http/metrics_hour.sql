-- metrics_hour: queries of the last complete hour (an hour of DNSA_LOG_TZ, as the rollup cuts
--   them) per node and rcode, and each node's newest statistics hour, for /metrics. The
--   current hour is left out: it is still being rolled up.
-- Columns: node_name, noerror, nxdomain, servfail, refused, other, unknown (bigint; 0 when
--   the node has no row for that hour), newest_hour (Unix seconds).
-- Parameters: $1 now (timestamptz), $2 IANA zone of the hours. Read-only; safe to re-run.
with newest as (
  select node_name, max(stat_hour) as newest_hour from dns_hourly_totals group by node_name
),
last_hour as (
  select node_name, noerror_count, nxdomain_count, servfail_count, refused_count, other_count,
    unknown_count
  from dns_hourly_totals
  where stat_hour = date_trunc('hour', $1::timestamptz, $2::text) - interval '1 hour'
)
select n.node_name, coalesce(h.noerror_count, 0) as noerror,
  coalesce(h.nxdomain_count, 0) as nxdomain, coalesce(h.servfail_count, 0) as servfail,
  coalesce(h.refused_count, 0) as refused, coalesce(h.other_count, 0) as other,
  coalesce(h.unknown_count, 0) as unknown,
  extract(epoch from n.newest_hour)::float8 as newest_hour
from newest n
left join last_hour h using (node_name)
order by n.node_name
