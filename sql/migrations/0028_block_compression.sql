-- 0028_block_compression: TOAST compression of each dns_query_blocks array chosen by column.
-- Purpose: pglz on every array (0027) was most of the server's work in a backfill: 1.85 s of
--   backend CPU for a synthetic 1 M-query day copied into blocks, against 0.85 s with lz4. lz4
--   stores more, though (fixture: 27.9 against 20.6 bytes a query of blocks). Measured per
--   column (tests/backfill_bench.ts data and the bind-9.18 fixture), pglz costs little where an
--   array is short or nearly constant (qtype, flags, at_us, transport, booleans, view, ports,
--   server and ECS addresses) and saves most there; the long arrays of distinct values
--   (domain, apex_domain, client_ip) take pglz longest for the least: lz4 for them, and for
--   the arrays lz4 compresses better (qclass, edns_version, checking_disabled, names). This
--   mix: 1.1 s and 29.6 bytes a query on the synthetic day, 22.8 on the fixture. Both
--   methods read back alike; values already stored keep the method they were written with.
--   ALTER ... SET COMPRESSION on the partitioned table reaches every partition, and a
--   partition created later takes its columns' methods from it.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run (it only sets methods).

-- A server built without lz4 (the embedded database) keeps pglz everywhere.
do $$
begin
  alter table dns_query_blocks
    alter column domain set compression lz4,
    alter column apex_domain set compression lz4,
    alter column client_ip set compression lz4,
    alter column qclass set compression lz4,
    alter column edns_version set compression lz4,
    alter column checking_disabled set compression lz4,
    alter column names set compression lz4;
exception when feature_not_supported then
  null;
end
$$;
