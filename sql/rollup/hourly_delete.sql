-- hourly_delete: remove one node's hourly statistics of [from, to) before they are rebuilt.
-- Parameters: $1 node_name, $2 from, $3 to (timestamptz).
with totals as (
  delete from dns_hourly_totals
  where node_name = $1 and stat_hour >= $2::timestamptz and stat_hour < $3::timestamptz
)
delete from dns_hourly_stats
where node_name = $1 and stat_hour >= $2::timestamptz and stat_hour < $3::timestamptz
