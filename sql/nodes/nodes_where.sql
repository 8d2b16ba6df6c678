-- nodes_where: the node names (local and federated) at a location and/or in a network, for
--   the --location and --network filters of reports and the API.
-- Parameters: $1 location (exact, case-insensitive; NULL = any), $2 network (cidr: nodes
--   whose network lies within it, or whose address does; NULL = any). Read-only.
select node_name from dns_nodes
where ($1::text is null or lower(location) = lower($1::text))
  and ($2::cidr is null or network <<= $2::cidr or node_ip <<= $2::cidr)
order by node_name
