-- top-apex-domains: queries per registrable domain, most queried first (then by name).
-- Columns: apex_domain, hit_count, unique_clients, unique_clients_error_pct, the rcode split.
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit. Reads dns_daily_apexes.
with scope as (
  select * from dnsa_report_scope($1::date, $2::date, $3::text[])
),
top as (
  select k from dnsa_top_keys('dns_daily_apexes', 'apex_domain', 'hit_count', $1::date, $2::date,
    $3::text[], $4::int)
),
rows as (
  select x.apex_domain, sum(x.hit_count)::bigint as hit_count, count(*) as parts,
    max(x.unique_clients) as one_part_clients,
    sum(x.noerror_count)::bigint as noerror_count, sum(x.nxdomain_count)::bigint as nxdomain_count,
    sum(x.servfail_count)::bigint as servfail_count, sum(x.refused_count)::bigint as refused_count,
    sum(x.other_count)::bigint as other_count, sum(x.unknown_count)::bigint as unknown_count
  from dns_daily_apexes x join scope p using (stat_date, node_name)
  where x.apex_domain = any(array(select k from top))
  group by x.apex_domain
),
counted as (
  select r.*, case when r.parts = 1 then r.one_part_clients::bigint else
    dnsa_sketch_count(array(
      select distinct h from dns_daily_apexes y join scope p using (stat_date, node_name),
        unnest(y.client_hashes) h
      where y.apex_domain = r.apex_domain order by h limit 256)) end as unique_clients
  from rows r
)
select apex_domain, hit_count, unique_clients,
  case when parts = 1 then 0 else dnsa_sketch_error_pct(unique_clients) end
    as unique_clients_error_pct,
  noerror_count, nxdomain_count, servfail_count, refused_count, other_count, unknown_count
from counted
order by hit_count desc, apex_domain
limit $4
