-- domain_seen: when the nodes first and last saw one domain (whatever the range: the rows of
--   dns_domains_seen outlive the daily statistics), and its registrable domain.
-- Columns: apex_domain, first_seen, last_seen (NULL when no node saw it).
-- Parameters: $1 domain, $2 node names (text[], NULL = all nodes). Read-only; safe to re-run.
select max(apex_domain) as apex_domain, min(first_seen) as first_seen, max(last_seen) as last_seen
from dns_domains_seen
where domain = $1::text and ($2::text[] is null or node_name = any($2::text[]))
