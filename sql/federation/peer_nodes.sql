-- peer_nodes: on a peer, the registry entries of some of its nodes (what the local registry
--   copies when their statistics arrive). Parameters: $1 node names (text[]). Read-only.
select node_name, host(node_ip) as node_ip, location, network::text as network, active
from dns_nodes
where node_name = any($1::text[])
