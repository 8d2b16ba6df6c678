-- top-nxdomain: the names answered NXDOMAIN most often (NXDOMAIN is known from dnstap or
--   BIND >= 9.20.3 response lines; the query log alone never says it)
-- Columns: domain, apex_domain, nxdomain_count, then as top-domains (hit_count, unique_clients,
--   unique_clients_error_pct, the rest of the rcode split, first_seen, last_seen).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit. Reads dns_daily_domains through dnsa_report_domains
--   (sql/migrations/0010_report_scope.sql).
select domain, apex_domain, nxdomain_count, hit_count, unique_clients, unique_clients_error_pct,
  noerror_count, servfail_count, refused_count, other_count, unknown_count, first_seen, last_seen
from dnsa_report_domains('nxdomain_count', $1::date, $2::date, $3::text[], $4::int)
order by nxdomain_count desc, domain
limit $4
