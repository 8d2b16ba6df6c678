-- day_applied: the peer version of one node's day already applied here, if any.
-- Parameters: $1 node_name, $2 day (date). Read-only.
select version::text as version, peer_name from federated_days
where node_name = $1 and stat_date = $2::date
