-- tier_days: the partitions of dns_queries that end before the tier (the start of day $1 in
--   zone $3) and whose day (the one their name carries) is not yet rewritten in mode $2,
--   oldest first, with their bounds. After a change of DNSA_LOG_TZ a day's rows can lie in
--   several partitions (migration 0026): each is listed, with the day of its name.
-- Parameters: $1 first day kept in full (date), $2 mode ('truncate' | 'hash'), $3 IANA zone.
--   Read-only.
select b.name, to_date(substr(b.name, 14, 8), 'YYYYMMDD')::text as day, b.lo, b.hi
from dnsa_partition_bounds() b
left join privacy_rewritten_days r
  on r.day = to_date(substr(b.name, 14, 8), 'YYYYMMDD') and r.mode = $2::text
where b.name ~ '^dns_queries_p[0-9]{8}(_[0-9]{8}t[0-9]{6}z)?$'
  and b.hi <= ($1::date::timestamp at time zone $3::text)
  and r.day is null
order by b.lo
