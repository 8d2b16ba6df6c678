-- node_upsert: the node_id of this server's node name, registering it on first use.
--   `do update` (a no-op change) rather than `do nothing`: when two processes register the
--   name at once, the second waits for the first and still gets the row back.
-- Parameters: $1 node_name. Safe to re-run.
insert into dns_nodes (node_name) values ($1)
on conflict (node_name) do update set node_name = excluded.node_name
returning node_id
