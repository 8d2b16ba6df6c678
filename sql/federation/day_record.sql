-- day_record: record the peer version of one node's day just applied.
-- Parameters: $1 node_name, $2 day (date), $3 peer label, $4 version (bigint). Inside the
--   day's transaction. Safe to re-run.
insert into federated_days (node_name, stat_date, peer_name, version)
values ($1, $2::date, $3, $4::bigint)
on conflict (node_name, stat_date) do update
  set peer_name = excluded.peer_name, version = excluded.version, pulled_at = now()
