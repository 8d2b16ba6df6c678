-- 0036_block_lz4: lz4 for more of the arrays the query-log ingest writes.
-- Purpose: 0028 kept pglz for the arrays where it saved most for its cost. With the five flag
--   columns gone from those blocks (0035), pglz on client_port, qtype, flags, view, server_ip
--   and name_bloom (and at_us) was the largest part of the server's work in a backfill.
--   Measured on 1 M query lines (two cores, six alternating runs each, ingest after
--   migration), lz4 on all seven: 2.15 → 1.89 s of CPU in all, wall 1.34 → 1.21 s, database
--   49 → 51 MB; on the bind-9.18 fixture 66.5 → 71.3 bytes a query of the whole database
--   (client_port +1.5, qtype +1.3, at_us +0.7, the others +1.0). at_us keeps pglz: lz4 made
--   it 37 % larger (17.6 → 24.0 kB a block), a week's drill-down of a client reads it from
--   every block (medians ~300 → 328–375 ms), and the backfill did not measurably gain (eight
--   alternating pairs). pglz on client_port and qtype too: 0.1 s more CPU for 2.8 bytes less.
--   Values already stored keep their method.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run (it only sets methods).

-- SET COMPRESSION does not recurse: the partitioned table (whose methods partitions created later
-- take) and each day partition that exists already (today's and those made ahead). A server
-- built without lz4 (the embedded database) keeps pglz.
do $$
declare
  t regclass;
begin
  for t in
    select 'dns_query_blocks'::regclass
    union all
    select i.inhrelid::regclass from pg_inherits i
    where i.inhparent = 'dns_query_blocks'::regclass
  loop
    execute format('alter table %s '
      'alter column client_port set compression lz4, alter column qtype set compression lz4, '
      'alter column flags set compression lz4, alter column view set compression lz4, '
      'alter column server_ip set compression lz4, alter column name_bloom set compression lz4',
      t);
  end loop;
exception when feature_not_supported then
  null;
end
$$;
