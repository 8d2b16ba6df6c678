-- unmark_packed: forget that a day partition of dns_query_blocks was packed (its blocks were
--   rewritten), so that the retention job rebuilds its GIN indexes again.
-- Parameters: $1 partition name. Safe to re-run.
delete from dns_packed_partitions where partition = $1::text
