-- federation_insert: insert server counters pulled from a peer (federation_read.sql).
-- Parameters: $1 a JSON array of row objects. Run in the day's transaction after
--   federation_delete.sql; not safe to re-run alone (the day's delete makes the pair
--   idempotent).
insert into dns_server_counters
select * from jsonb_populate_recordset(null::dns_server_counters, $1::text::jsonb)
