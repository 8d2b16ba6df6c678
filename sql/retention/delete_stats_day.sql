-- delete_stats_day: delete every node's statistics of one day (bounded by that day's rows),
--   local and federated alike, with the day's statistics versions and federation records.
-- Parameters: $1 day (date), $2 IANA zone of the day's hours.
with s as (delete from dns_daily_stats where stat_date = $1::date),
  d as (delete from dns_daily_domains where stat_date = $1::date),
  a as (delete from dns_daily_apexes where stat_date = $1::date),
  c as (delete from dns_daily_clients where stat_date = $1::date),
  q as (delete from dns_daily_qtypes where stat_date = $1::date),
  t as (delete from dns_daily_totals where stat_date = $1::date),
  v as (delete from stats_versions where stat_date = $1::date),
  f as (delete from federated_days where stat_date = $1::date),
  hs as (delete from dns_hourly_stats
    where stat_hour >= ($1::date::timestamp at time zone $2::text)
      and stat_hour < (($1::date + 1)::timestamp at time zone $2::text))
delete from dns_hourly_totals
where stat_hour >= ($1::date::timestamp at time zone $2::text)
  and stat_hour < (($1::date + 1)::timestamp at time zone $2::text)
