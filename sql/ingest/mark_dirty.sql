-- mark_dirty: mark the hours a batch touched (its rows, its error lines, and the queries those
--   may join, up to 60 s earlier) as waiting for a rollup.
-- Parameters: $1 node_id, $2 first instant, $3 last instant (timestamptz), $4 IANA zone of the
--   hours. Runs in the batch's transaction after the node's lock. Safe to re-run: a mark that
--   exists gets a new seq, so a rollup running meanwhile leaves it for the next run.
insert into rollup_dirty (node_id, stat_hour, seq)
select $1, h, nextval('rollup_dirty_seq')
from generate_series(date_trunc('hour', $2::timestamptz, $4::text),
                     date_trunc('hour', $3::timestamptz, $4::text), interval '1 hour') h
on conflict (node_id, stat_hour) do update set seq = excluded.seq
