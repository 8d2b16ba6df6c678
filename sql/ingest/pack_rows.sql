-- pack_rows: pack the rows of a staging table into blocks of dns_query_blocks (migration
--   0027) and delete them there.
-- Parameters: $1 the table (dnsa_batch_rows or dns_query_staged), $2 node_id (NULL = all
--   rows). Returns the rows packed. Runs in the writer's transaction.
select dnsa_pack_rows($1::text::regclass, $2::integer) as n
