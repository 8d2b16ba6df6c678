-- 0032_packed_partitions: which closed day partitions of dns_query_blocks have had their GIN
--   indexes rebuilt.
-- Purpose: the blocks' GIN indexes (clients, names) grow as blocks are inserted one batch at a
--   time to several times the size a rebuild gives (measured: 21.6 against ~3 bytes a query at
--   3 days x 300,000 queries; the fixture's names index 172 kB against 115 kB). Once a day is
--   over its blocks no longer change, so the retention job rebuilds the indexes of each closed
--   day's partition once (REINDEX INDEX CONCURRENTLY: searches go on meanwhile) and records the
--   partition here. A privacy tier rewrite of a day removes the day's mark, so it is packed again.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run.

create table if not exists dns_packed_partitions (
  partition text primary key,
  packed_at timestamptz not null default now()
);

comment on table dns_packed_partitions is
  'Day partitions of dns_query_blocks whose GIN indexes the retention job rebuilt after the day ended.';
