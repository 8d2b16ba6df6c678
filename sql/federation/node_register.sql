-- node_register: register a peer's node when its statistics arrive (by node_name: node_id is
--   local to each database), with its address, location and network as the peer's registry
--   says (the node's own configuration, DNSA_NODE_*), ours where the peer says nothing.
-- Parameters: $1 node_name, $2 peer label, $3 node_ip (inet or NULL), $4 location, $5 network
--   (cidr or NULL), $6 active (boolean or NULL). Safe to re-run.
insert into dns_nodes as n (node_name, federated_from, node_ip, location, network, active)
values ($1, $2, $3::inet, $4, $5::cidr, coalesce($6::boolean, true))
on conflict (node_name) do update
  set federated_from = excluded.federated_from,
      node_ip = coalesce(excluded.node_ip, n.node_ip),
      location = coalesce(excluded.location, n.location),
      network = coalesce(excluded.network, n.network)
