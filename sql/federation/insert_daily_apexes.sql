-- insert_daily_apexes: insert rows of dns_daily_apexes pulled from a peer (read_daily_apexes.sql).
-- Parameters: $1 a JSON array of row objects. Run inside the day's transaction after
--   day_delete.sql; not safe to re-run alone (the day's delete makes the pair idempotent).
insert into dns_daily_apexes
select * from jsonb_populate_recordset(null::dns_daily_apexes, $1::text::jsonb)
