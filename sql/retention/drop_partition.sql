-- drop_partition: drop one day partition of dns_queries and the rollup marks of its day.
-- Parameters: $1 partition name (from raw_partitions), $2 start of its day, $3 start of the
--   next day (timestamptz). Callers hold the partition lock. Safe to re-run.
select dnsa_drop_day_partition($1::text, $2::timestamptz, $3::timestamptz)
