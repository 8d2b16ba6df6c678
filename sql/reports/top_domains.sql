-- top_domains: queries per domain, most queried first.
-- Columns: domain, apex_domain, hit_count (every query of every rcode and class, orphan
--   query-errors lines included as failed queries of their own), unique_clients,
--   servfail_count, refused_count, nxdomain_count, unknown_rcode_count.
-- Parameters: $1 from (timestamptz, NULL = no bound), $2 to (exclusive, NULL = no bound),
--   $3 node_name (NULL = all nodes), $4 limit. Read-only; safe to re-run.
with scope as (
  select node_id from dns_nodes where $3::text is null or node_name = $3::text
),
hits as (
  select q.domain, q.apex_domain, q.client_ip, q.response_rcode
  from dns_queries q
  where q.node_id in (select node_id from scope)
    and ($1::timestamptz is null or q.queried_at >= $1::timestamptz)
    and ($2::timestamptz is null or q.queried_at < $2::timestamptz)
  union all
  select e.domain, null, e.client_ip, e.response_rcode
  from dns_query_errors e
  where e.node_id in (select node_id from scope)
    and e.matched_query_at is null
    and e.kind in ('failed', 'response')
    and ($1::timestamptz is null or e.logged_at >= $1::timestamptz)
    and ($2::timestamptz is null or e.logged_at < $2::timestamptz)
)
select domain,
  max(apex_domain) as apex_domain,
  count(*) as hit_count,
  count(distinct client_ip) as unique_clients,
  count(*) filter (where response_rcode = 'SERVFAIL') as servfail_count,
  count(*) filter (where response_rcode = 'REFUSED') as refused_count,
  count(*) filter (where response_rcode = 'NXDOMAIN') as nxdomain_count,
  count(*) filter (where response_rcode is null) as unknown_rcode_count
from hits
group by domain
order by hit_count desc, domain
limit $4
