-- ensure_partition: create the partitions of dns_queries that cover a day in a zone where
--   none does yet; returns (as `part`) the one partition holding the whole day, or NULL when
--   the day's rows lie in several (made under different zones).
-- Parameters: $1 day (date), $2 IANA zone. Safe to re-run; callers hold an advisory lock.
select dnsa_ensure_day_partition($1::date, $2::text) as part
