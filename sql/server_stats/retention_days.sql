-- retention_days: the days (in a zone) that hold server counters older than a cutoff day,
--   oldest first. Parameters: $1 first day to keep (date), $2 IANA zone. Read-only.
select distinct (stat_minute at time zone $2::text)::date::text as day
from dns_server_counters
where stat_minute < ($1::date::timestamp at time zone $2::text)
order by 1
