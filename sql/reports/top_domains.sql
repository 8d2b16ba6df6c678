-- top-domains: queries per domain, most queried first (then by domain).
-- Columns: domain, apex_domain, hit_count (every query of every rcode and class, orphan
--   query-errors lines included as failed queries of their own), unique_clients (exact for one
--   node and day or below 256 clients, else estimated), unique_clients_error_pct (0 = exact),
--   the rcode split (noerror, nxdomain, servfail, refused, other, unknown counts), first_seen,
--   last_seen.
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes, local and federated), $4 limit. Reads dns_daily_domains.
with scope as (
  select stat_date, node_name from dns_daily_totals
  where ($1::date is null or stat_date >= $1::date) and ($2::date is null or stat_date <= $2::date)
    and ($3::text[] is null or node_name = any($3::text[]))
),
top as (
  select k from dnsa_top_keys('dns_daily_domains', 'domain', 'hit_count', $1::date, $2::date,
    $3::text[], $4::int)
),
rows as (
  select x.domain, max(x.apex_domain) as apex_domain, sum(x.hit_count)::bigint as hit_count,
    count(*) as parts, max(x.unique_clients) as one_part_clients,
    sum(x.noerror_count)::bigint as noerror_count, sum(x.nxdomain_count)::bigint as nxdomain_count,
    sum(x.servfail_count)::bigint as servfail_count, sum(x.refused_count)::bigint as refused_count,
    sum(x.other_count)::bigint as other_count, sum(x.unknown_count)::bigint as unknown_count,
    min(x.first_seen) as first_seen, max(x.last_seen) as last_seen
  from dns_daily_domains x join scope p using (stat_date, node_name)
  where x.domain = any(array(select k from top))
  group by x.domain
),
counted as (
  select r.*, case when r.parts = 1 then r.one_part_clients::bigint else
    dnsa_sketch_count(array(
      select distinct h from dns_daily_domains y join scope p using (stat_date, node_name),
        unnest(y.client_hashes) h
      where y.domain = r.domain order by h limit 256)) end as unique_clients
  from rows r
)
select domain, apex_domain, hit_count, unique_clients,
  case when parts = 1 then 0 else dnsa_sketch_error_pct(unique_clients) end
    as unique_clients_error_pct,
  noerror_count, nxdomain_count, servfail_count, refused_count, other_count, unknown_count,
  first_seen, last_seen
from counted
order by hit_count desc, domain
limit $4
