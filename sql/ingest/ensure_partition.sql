-- ensure_partition: create the day partition of dns_queries for a day in a zone if missing.
-- Parameters: $1 day (date), $2 IANA zone. Safe to re-run; callers hold an advisory lock.
select dnsa_ensure_day_partition($1::date, $2::text)
