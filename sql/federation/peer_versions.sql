-- peer_versions: on a peer, its own nodes' (node, day) statistics changed after a version,
--   oldest change first. Only days the peer rolled up itself are listed, never statistics it
--   pulled from others, so federation never loops.
-- Parameters: $1 version already applied (bigint), $2 at most this many rows. Read-only.
select node_name, stat_date::text as day, version::text as version, day_start, day_end
from stats_versions
where version > $1::bigint
order by version
limit $2::int
