-- read_hourly_totals: on a peer, one node's rows of dns_hourly_totals for the hours of one day, each as
--   a JSON object (to_jsonb of the row: columns the local table lacks are ignored on insert).
-- Parameters: $1 node_name, $2 start of the day, $3 start of the next day (timestamptz, the
--   bounds the peer recorded in stats_versions). Read-only.
select to_jsonb(t)::text as r from dns_hourly_totals t
where t.node_name = $1 and t.stat_hour >= $2::timestamptz and t.stat_hour < $3::timestamptz
