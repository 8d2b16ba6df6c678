-- day_bounds: the first instant of a day and of the next one in a zone, and the day's raw
--   partition: NULL when it was never created, or when retention dropped it (late rows may
--   have made it again, but they are not the whole day: its statistics stay as they are).
-- Parameters: $1 day (date), $2 IANA zone. Read-only.
select ($1::date::timestamp at time zone $2::text) as lo,
  (($1::date + 1)::timestamp at time zone $2::text) as hi,
  case when exists (select 1 from raw_days_dropped where stat_date = $1::date) then null
    else to_regclass(format('dns_queries_p%s', to_char($1::date, 'YYYYMMDD')))::text end as raw
