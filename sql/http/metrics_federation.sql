-- metrics_federation: the last successful pull of each federation peer, for /metrics. Run only
--   when metrics_federation_present.sql says the table exists.
-- Columns: peer_name, last_success (Unix seconds, NULL before the first success).
-- Parameters: none. Read-only; safe to re-run.
select peer_name, extract(epoch from last_success_at)::float8 as last_success
from federation_peers
order by peer_name
