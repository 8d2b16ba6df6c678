-- daily_delete: remove one node's daily statistics of a day before they are rebuilt.
-- Parameters: $1 node_name, $2 day (date).
with s as (delete from dns_daily_stats where node_name = $1 and stat_date = $2::date),
  d as (delete from dns_daily_domains where node_name = $1 and stat_date = $2::date),
  a as (delete from dns_daily_apexes where node_name = $1 and stat_date = $2::date),
  c as (delete from dns_daily_clients where node_name = $1 and stat_date = $2::date),
  q as (delete from dns_daily_qtypes where node_name = $1 and stat_date = $2::date)
delete from dns_daily_totals where node_name = $1 and stat_date = $2::date
