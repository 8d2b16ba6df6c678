-- pending_days: the (node, day) windows with hours waiting for a rollup, oldest first.
-- Parameters: $1 IANA zone of the days. Read-only.
select d.node_id, n.node_name, (d.stat_hour at time zone $1::text)::date::text as day,
  count(*)::int as hours
from rollup_dirty d
join dns_nodes n using (node_id)
group by 1, 2, 3
order by 3, 2
