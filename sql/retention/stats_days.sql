-- stats_days: the days with statistics older than a cutoff day, oldest first.
-- Parameters: $1 first day to keep (date), $2 IANA zone of the hours. Read-only.
select stat_date::text as day from dns_daily_totals where stat_date < $1::date
union
select stat_date::text from dns_daily_stats where stat_date < $1::date
union
select (stat_hour at time zone $2::text)::date::text from dns_hourly_totals
where stat_hour < ($1::date::timestamp at time zone $2::text)
order by 1
