-- block_list: the blocks of dns_query_blocks a search may find rows in, newest last_at first
--   (the first phase of a page, lib/search/page_walk.ts). Only the span, node and summaries
--   (span btree, GIN on clients; the apexes' filter in the heap row, migration 0038) are
--   read, no array.
-- Columns: block_id, first_us and last_us (first_at and last_at as epoch microseconds), all
--   float8 (exact below 2^53).
-- Parameters: the caller replaces the where marker with `and ...` conditions over b.
--   Read-only.
select b.block_id::float8 as block_id,
  ((extract(epoch from b.first_at) * 1000000)::bigint)::float8 as first_us,
  ((extract(epoch from b.last_at) * 1000000)::bigint)::float8 as last_us
from dns_query_blocks b
where true /*where*/
order by b.last_at desc, b.block_id desc
