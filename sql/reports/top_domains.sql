-- top-domains: queries per domain, most queried first (then by domain).
-- Columns: domain, apex_domain, hit_count (every query of every rcode and class, orphan
--   query-errors lines included as failed queries of their own), unique_clients (exact for one
--   node and day or below 256 clients, else estimated), unique_clients_error_pct (0 = exact),
--   the rcode split (noerror, nxdomain, servfail, refused, other, unknown counts), first_seen,
--   last_seen.
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes, local and federated), $4 limit. Reads dns_daily_domains
--   through dnsa_report_domains (sql/migrations/0010_report_scope.sql).
select domain, apex_domain, hit_count, unique_clients, unique_clients_error_pct,
  noerror_count, nxdomain_count, servfail_count, refused_count, other_count, unknown_count,
  first_seen, last_seen
from dnsa_report_domains('hit_count', $1::date, $2::date, $3::text[], $4::int)
order by hit_count desc, domain
limit $4
