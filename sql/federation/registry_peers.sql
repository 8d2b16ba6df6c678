-- registry_peers: peers named in the node registry: a dns_nodes row with peer_url is pulled
--   from that database under its node_name as the peer label (the URL never holds a password).
-- Parameters: none. Read-only.
select node_name as peer_name, peer_url from dns_nodes where peer_url is not null
order by node_name
