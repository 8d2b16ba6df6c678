-- federation_delete: remove one federated node's server counters of one day before the
--   peer's rows of that day replace them.
-- Parameters: $1 node_name, $2 start of the day, $3 start of the next day (timestamptz).
--   Run inside the day's transaction.
delete from dns_server_counters
where node_name = $1 and stat_minute >= $2::timestamptz and stat_minute < $3::timestamptz
