-- 0036_block_lz4: lz4 for the rest of the arrays the query-log ingest writes.
-- Purpose: 0028 kept pglz for the arrays where it saved most for its cost. With the five flag
--   columns gone from those blocks (0035), pglz on at_us, client_port, qtype, flags, view,
--   server_ip and name_bloom was the largest part of the server's work in a backfill.
--   Measured on 1 M query lines (two cores, six runs each, ingest after migration): 2.15 →
--   1.89 s of CPU in all, wall 1.34 → 1.21 s, database 49 → 51 MB; on the bind-9.18 fixture
--   66.5 → 71.3 bytes a query of the whole database (client_port +1.5, qtype +1.3, at_us
--   +0.7, the others +1.0). pglz for client_port and qtype only: 0.1 s more CPU for 2.8
--   bytes less. Values already stored keep their method.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run (it only sets methods).

-- A server built without lz4 (the embedded database) keeps pglz.
do $$
begin
  alter table dns_query_blocks
    alter column at_us set compression lz4,
    alter column client_port set compression lz4,
    alter column qtype set compression lz4,
    alter column flags set compression lz4,
    alter column view set compression lz4,
    alter column server_ip set compression lz4,
    alter column name_bloom set compression lz4;
exception when feature_not_supported then
  null;
end
$$;
