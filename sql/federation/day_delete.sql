-- day_delete: remove one federated node's statistics of one day before the peer's rows of
--   that day replace them.
-- Parameters: $1 node_name, $2 day (date), $3 start of the day, $4 start of the next day
--   (timestamptz, as the peer recorded them). Run inside the day's transaction.
with s as (delete from dns_daily_stats where node_name = $1 and stat_date = $2::date),
  d as (delete from dns_daily_domains where node_name = $1 and stat_date = $2::date),
  a as (delete from dns_daily_apexes where node_name = $1 and stat_date = $2::date),
  c as (delete from dns_daily_clients where node_name = $1 and stat_date = $2::date),
  q as (delete from dns_daily_qtypes where node_name = $1 and stat_date = $2::date),
  t as (delete from dns_daily_totals where node_name = $1 and stat_date = $2::date),
  hs as (delete from dns_hourly_stats
    where node_name = $1 and stat_hour >= $3::timestamptz and stat_hour < $4::timestamptz)
delete from dns_hourly_totals
where node_name = $1 and stat_hour >= $3::timestamptz and stat_hour < $4::timestamptz
