-- day_bounds: the first instant of a day and of the next one in a zone, and the day's raw
--   partition (NULL when retention dropped it or it was never created).
-- Parameters: $1 day (date), $2 IANA zone. Read-only.
select ($1::date::timestamp at time zone $2::text) as lo,
  (($1::date + 1)::timestamp at time zone $2::text) as hi,
  to_regclass(format('dns_queries_p%s', to_char($1::date, 'YYYYMMDD')))::text as raw
