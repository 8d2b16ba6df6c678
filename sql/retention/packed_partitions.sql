-- packed_partitions: forget the marks of partitions that are gone (dropped by retention), then
--   list the day partitions of dns_query_blocks whose GIN indexes were rebuilt (migration 0032).
-- Parameters: none. Safe to re-run.
with gone as (
  delete from dns_packed_partitions where to_regclass(quote_ident(partition)) is null
)
select partition from dns_packed_partitions
