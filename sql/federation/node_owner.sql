-- node_owner: whether a node name is local here (this server's own node, or one with raw rows
--   or rolled-up statistics in this database) and which peer its statistics came from.
-- Parameters: $1 node_name, $2 this server's node name (DNSA_NODE). Read-only; no row when
--   the node is not registered.
select n.federated_from,
  (n.node_name = $2
    or exists (select 1 from ingest_checkpoints c where c.node_id = n.node_id)
    or exists (select 1 from rollup_dirty d where d.node_id = n.node_id)
    or exists (select 1 from stats_versions v where v.node_name = n.node_name)) as local
from dns_nodes n
where n.node_name = $1
