-- checkpoint_get: where a file was read to, locked until the end of the transaction.
-- Parameters: $1 node_id, $2 fingerprint. Read-only apart from the row lock.
select byte_offset
from ingest_checkpoints
where node_id = $1 and fingerprint = $2
for update
