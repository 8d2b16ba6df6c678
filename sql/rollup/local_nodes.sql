-- local_nodes: the nodes whose raw rows are ingested into this database (they have
--   checkpoints or rows waiting for a rollup). Read-only.
select node_id, node_name from dns_nodes
where node_id in (select node_id from ingest_checkpoints union select node_id from rollup_dirty)
order by node_name
