-- node_register: register a peer's node when its statistics arrive (by node_name: node_id is
--   local to each database), with what the peer's registry says of it where ours says nothing.
-- Parameters: $1 node_name, $2 peer label, $3 node_ip (inet or NULL), $4 location, $5 network
--   (cidr or NULL), $6 active (boolean or NULL). Safe to re-run.
insert into dns_nodes as n (node_name, federated_from, node_ip, location, network, active)
values ($1, $2, $3::inet, $4, $5::cidr, coalesce($6::boolean, true))
on conflict (node_name) do update
  set federated_from = excluded.federated_from,
      node_ip = coalesce(n.node_ip, excluded.node_ip),
      location = coalesce(n.location, excluded.location),
      network = coalesce(n.network, excluded.network)
