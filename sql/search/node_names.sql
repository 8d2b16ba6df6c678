-- node_names: node_id to node_name of this database's registry.
-- Parameters: none. Read-only.
select node_id, node_name from dns_nodes
