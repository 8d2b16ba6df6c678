-- dnstap_wait: keep a batch's dnstap queries that have no response yet.
-- Parameters: $1 node_id, $2 JSON array of {"k": key, "t": queried_at, "v": [row values in
--   DNSTAP_COLUMNS order]}. Runs in the batch's transaction.
insert into dnstap_pending (node_id, key, queried_at, row_values)
select $1, e->>'k', (e->>'t')::timestamptz, e->'v'
from jsonb_array_elements($2::text::jsonb) e
