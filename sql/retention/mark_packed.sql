-- mark_packed: record that a day partition of dns_query_blocks has had its GIN indexes rebuilt.
-- Parameters: $1 partition name. Safe to re-run.
insert into dns_packed_partitions (partition) values ($1::text) on conflict do nothing
