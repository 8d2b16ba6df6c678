-- insert_daily_stats: insert rows of dns_daily_stats pulled from a peer (read_daily_stats.sql).
-- Parameters: $1 a JSON array of row objects. Run inside the day's transaction after
--   day_delete.sql; not safe to re-run alone (the day's delete makes the pair idempotent).
insert into dns_daily_stats
select * from jsonb_populate_recordset(null::dns_daily_stats, $1::text::jsonb)
