-- domain_nodes: one domain's queries per node over a range of days, most queried first.
-- Columns: node_name, hit_count.
-- Parameters: $1 domain, $2 first day, $3 last day (date, inclusive), $4 node names (text[],
--   NULL = all nodes), $5 limit. Reads dns_daily_domains. Read-only; safe to re-run.
select node_name, sum(hit_count)::bigint as hit_count
from dns_daily_domains
where domain = $1::text and stat_date >= $2::date and stat_date <= $3::date
  and ($4::text[] is null or node_name = any($4::text[]))
group by node_name
order by hit_count desc, node_name
limit $5::int
