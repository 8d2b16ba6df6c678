-- top_by: the raw rows of a search counted by one key (a client's top domains, qtypes, rcodes;
--   a domain's top clients), most queried first, then by key.
-- Columns: key (the key's value as text), apex_domain (for domains), hit_count, the rcode
--   split (noerror, nxdomain, servfail, refused, other, unknown: the source did not say),
--   first_seen, last_seen.
-- Parameters: the caller replaces the rows marker with sql/search/query_rows.sql (its filters
--   filled in; or sql/search/top_rows.sql), the key marker with one of the expressions lib/search/drilldown.ts allows, and
--   the limit marker with a positional parameter. Read-only.
select /*key*/ as key, min(r.apex_domain) as apex_domain, count(*) as hit_count,
  count(*) filter (where r.response_rcode = 'NOERROR') as noerror_count,
  count(*) filter (where r.response_rcode = 'NXDOMAIN') as nxdomain_count,
  count(*) filter (where r.response_rcode = 'SERVFAIL') as servfail_count,
  count(*) filter (where r.response_rcode = 'REFUSED') as refused_count,
  count(*) filter (where r.response_rcode not in ('NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED'))
    as other_count,
  count(*) filter (where r.response_rcode is null) as unknown_count,
  min(r.queried_at) as first_seen, max(r.queried_at) as last_seen
from (/*rows*/) r
group by 1
order by hit_count desc, 1
limit /*limit*/
