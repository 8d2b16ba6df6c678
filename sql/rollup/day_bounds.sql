-- day_bounds: the first instant of a day and of the next one in a zone, and a raw partition
--   holding rows of the day: NULL when none was ever created, or when retention dropped one
--   (late rows may have made it again, but they are not the whole day: its statistics stay
--   as they are). After a change of zone a day's rows can lie in several partitions.
-- Parameters: $1 day (date), $2 IANA zone. Read-only.
select ($1::date::timestamp at time zone $2::text) as lo,
  (($1::date + 1)::timestamp at time zone $2::text) as hi,
  case when exists (select 1 from raw_days_dropped where stat_date = $1::date) then null
    else (select min(b.name) from dnsa_partition_bounds() b
          where b.lo < (($1::date + 1)::timestamp at time zone $2::text)
            and b.hi > ($1::date::timestamp at time zone $2::text)) end as raw
