-- node_meta: this server's registry entry from its configuration (DNSA_NODE_IP,
--   DNSA_NODE_LOCATION, DNSA_NODE_NETWORK): the seed's dns_nodes columns. A key left unset
--   keeps what the registry says.
-- Parameters: $1 node_name, $2 node_ip (inet or NULL), $3 location (or NULL), $4 network
--   (cidr or NULL). Safe to re-run.
insert into dns_nodes as n (node_name, node_ip, location, network)
values ($1, $2::inet, $3, $4::cidr)
on conflict (node_name) do update
  set node_ip = coalesce(excluded.node_ip, n.node_ip),
      location = coalesce(excluded.location, n.location),
      network = coalesce(excluded.network, n.network)
