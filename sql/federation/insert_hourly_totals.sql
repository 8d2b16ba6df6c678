-- insert_hourly_totals: insert rows of dns_hourly_totals pulled from a peer
--   (read_hourly_totals.sql), only those of the (node, day) being applied: the caller refuses the
--   day when rows are left out.
-- Parameters: $1 a JSON array of row objects, $2 node_name, $3 and $4 the day's bounds
--   (timestamptz). Run inside the day's transaction after day_delete.sql; not safe to re-run alone
--   (the day's delete makes the pair idempotent).
insert into dns_hourly_totals
select * from jsonb_populate_recordset(null::dns_hourly_totals, $1::text::jsonb)
where node_name = $2 and stat_hour >= $3::timestamptz and stat_hour < $4::timestamptz
