-- new-domains: domains seen for the first time in the range (by any of the selected nodes),
--   newest first.
-- Columns: domain, apex_domain, first_seen, node_name (the node that saw it first).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit, $5 IANA zone of the days. Reads dns_domains_seen.
select s.domain, s.apex_domain, s.first_seen, s.node_name
from dns_domains_seen s
where ($1::date is null or s.first_seen >= ($1::date::timestamp at time zone $5::text))
  and ($2::date is null or s.first_seen < (($2::date + 1)::timestamp at time zone $5::text))
  and ($3::text[] is null or s.node_name = any($3::text[]))
  and not exists (
    select 1 from dns_domains_seen o
    where o.domain = s.domain and ($3::text[] is null or o.node_name = any($3::text[]))
      and (o.first_seen < s.first_seen or (o.first_seen = s.first_seen and o.node_name < s.node_name))
  )
order by s.first_seen desc, s.domain
limit $4
