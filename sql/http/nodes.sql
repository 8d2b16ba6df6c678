-- nodes: the node registry with how fresh each node's data is, for GET /api/nodes. A node
--   that only has statistics here (pulled from a peer) is listed too, with NULL registry
--   columns.
-- Columns: node_name, node_ip (text), location, network (text), active, added_at,
--   last_commit_at (newest ingest checkpoint of the node in this database), last_stat_at
--   (newest statistics hour of the node).
-- Parameters: none. Read-only; safe to re-run.
with stat as (
  select node_name, max(stat_hour) as last_stat_at from dns_hourly_totals group by node_name
),
commits as (
  select node_id, max(updated_at) as last_commit_at from ingest_checkpoints group by node_id
)
select coalesce(n.node_name, s.node_name) as node_name, host(n.node_ip) as node_ip,
  n.location, n.network::text as network, n.active, n.added_at, c.last_commit_at,
  s.last_stat_at
from dns_nodes n
left join commits c on c.node_id = n.node_id
full join stat s on s.node_name = n.node_name
order by 1
