-- sample_get: the last reading of named's counters stored for a node, locked until the end of
--   the transaction (the next delta is computed from it and replaces it).
-- Parameters: $1 node_name. Run inside the collector's transaction.
select sampled_at, boot_time, counters from dns_server_samples where node_name = $1 for update
