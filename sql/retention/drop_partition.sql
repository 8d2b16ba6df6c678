-- drop_partition: drop one partition of dns_queries (whatever zone made it) and the rollup
--   marks of its span; the days of the zone it held rows of are recorded as dropped.
-- Parameters: $1 partition name (from raw_partitions), $2 IANA zone. Callers hold the
--   partition lock. Safe to re-run.
select dnsa_drop_partition($1::text, $2::text)
