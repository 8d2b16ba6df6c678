-- local_nodes: the nodes whose raw rows are ingested into this database (they have
--   checkpoints or rows waiting for a rollup). A node whose statistics come from a federation
--   peer (dns_nodes.federated_from) is never local: its statistics have no raw rows here and
--   must never be cleared by a rollup. Read-only.
select node_id, node_name from dns_nodes
where node_id in (select node_id from ingest_checkpoints union select node_id from rollup_dirty)
  and federated_from is null
order by node_name
