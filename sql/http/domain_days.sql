-- domain_days: one domain's queries per day (all qtypes), for GET /api/domain.
-- Columns: stat_date (text, YYYY-MM-DD), hit_count, the rcode split (noerror, nxdomain,
--   servfail, refused, other, unknown counts), unique_clients (exact for one node, else from
--   the merged client hashes), apex_domain.
-- Parameters: $1 domain (lower case, no trailing dot), $2 first day, $3 last day (date,
--   inclusive), $4 node names (text[], NULL = all nodes). Reads dns_daily_domains through its
--   (domain, stat_date) index. Read-only; safe to re-run.
with d as (
  select stat_date, count(*) as parts, max(unique_clients) as one_part_clients,
    max(apex_domain) as apex_domain, sum(hit_count)::bigint as hit_count,
    sum(noerror_count)::bigint as noerror_count, sum(nxdomain_count)::bigint as nxdomain_count,
    sum(servfail_count)::bigint as servfail_count, sum(refused_count)::bigint as refused_count,
    sum(other_count)::bigint as other_count, sum(unknown_count)::bigint as unknown_count
  from dns_daily_domains
  where domain = $1::text and stat_date >= $2::date and stat_date <= $3::date
    and ($4::text[] is null or node_name = any($4::text[]))
  group by stat_date
)
select d.stat_date::text as stat_date, d.hit_count, d.noerror_count, d.nxdomain_count,
  d.servfail_count, d.refused_count, d.other_count, d.unknown_count,
  case when d.parts = 1 then d.one_part_clients::bigint else
    dnsa_sketch_count(array(
      select distinct h from dns_daily_domains y, unnest(y.client_hashes) h
      where y.domain = $1::text and y.stat_date = d.stat_date
        and ($4::text[] is null or y.node_name = any($4::text[]))
      order by h limit 256)) end as unique_clients,
  d.apex_domain
from d
order by d.stat_date
