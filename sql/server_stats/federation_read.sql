-- federation_read: on a peer, one node's server counters of one day, each row as JSON text.
-- Parameters: $1 node_name, $2 start of the day, $3 start of the next day (timestamptz, the
--   bounds the peer recorded in stats_versions). Read-only.
select to_jsonb(t)::text as r from dns_server_counters t
where t.node_name = $1 and t.stat_minute >= $2::timestamptz and t.stat_minute < $3::timestamptz
