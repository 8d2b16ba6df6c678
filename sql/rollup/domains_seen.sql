-- domains_seen: when the node first and last saw each domain of the day. Monotonic, so
--   re-running any day gives the same rows; rows that would not change are not rewritten.
-- Parameters: $1 node_name, $2 day (date).
insert into dns_domains_seen as s (node_name, domain, apex_domain, first_seen, last_seen)
select node_name, domain, apex_domain, first_seen, last_seen
from dns_daily_domains
where node_name = $1 and stat_date = $2::date and domain is not null
on conflict (node_name, domain) do update
  set first_seen = least(s.first_seen, excluded.first_seen),
      last_seen = greatest(s.last_seen, excluded.last_seen),
      apex_domain = coalesce(excluded.apex_domain, s.apex_domain)
  where excluded.first_seen < s.first_seen or excluded.last_seen > s.last_seen
    or excluded.apex_domain is distinct from s.apex_domain
