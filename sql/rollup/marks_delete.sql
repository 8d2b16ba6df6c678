-- marks_delete: delete the marks a rollup read, unless a batch marked them again since.
-- Parameters: $1 node_id, $2 stat_hour[], $3 seq[] (as read by marks_read). Idempotent.
delete from rollup_dirty d
using unnest($2::timestamptz[], $3::bigint[]) as m(stat_hour, seq)
where d.node_id = $1 and d.stat_hour = m.stat_hour and d.seq = m.seq
