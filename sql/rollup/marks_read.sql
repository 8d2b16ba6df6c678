-- marks_read: the marks of one node's day, with the seq each had when read.
-- Parameters: $1 node_id, $2 start of the day, $3 start of the next day (timestamptz).
-- Read-only; the rollup deletes exactly these (marks_delete).
select stat_hour, seq from rollup_dirty
where node_id = $1 and stat_hour >= $2::timestamptz and stat_hour < $3::timestamptz
