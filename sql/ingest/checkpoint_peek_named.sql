-- checkpoint_peek_named: where a file was read to, by node name (no lock): read while the
--   migrations are being applied, before the node's id is known. Fails on a database without
--   the tables yet (a new install: nothing was read).
-- Parameters: $1 node_name, $2 fingerprint. Read-only.
select c.byte_offset
from ingest_checkpoints c
join dns_nodes n on n.node_id = c.node_id
where n.node_name = $1 and c.fingerprint = $2
