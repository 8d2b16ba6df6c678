-- node_upsert: the node_id of this server's node name, registering it on first use.
-- Parameters: $1 node_name. Safe to re-run.
with ins as (
  insert into dns_nodes (node_name) values ($1)
  on conflict (node_name) do nothing
  returning node_id
)
select node_id from ins
union all
select node_id from dns_nodes where node_name = $1
limit 1
