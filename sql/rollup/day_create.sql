-- day_create: the window's rows per domain, qtype and client for the whole day (hours
--   summed), dropped at commit. Parameters: none.
create temp table rollup_day on commit drop as
select domain, max(apex_domain) as apex_domain, qtype, client_ip,
  hashinetextended(client_ip, 0) as client_hash,
  sum(hits)::bigint as hits, sum(noerror)::bigint as noerror,
  sum(nxdomain)::bigint as nxdomain, sum(servfail)::bigint as servfail,
  sum(refused)::bigint as refused, sum(other)::bigint as other,
  sum(unknown)::bigint as unknown, min(first_seen) as first_seen, max(last_seen) as last_seen
from rollup_base
group by domain, qtype, client_ip
