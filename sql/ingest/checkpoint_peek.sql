-- checkpoint_peek: where a file was read to (no lock), to resume before reading it.
-- Parameters: $1 node_id, $2 fingerprint. Read-only.
select byte_offset
from ingest_checkpoints
where node_id = $1 and fingerprint = $2
