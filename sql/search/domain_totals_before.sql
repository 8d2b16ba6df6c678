-- domain_totals_before: what the statistics know of one domain before raw retention: its
--   queries, rcodes and distinct clients per day (dns_daily_domains), summed.
-- Columns: days, hit_count, max_daily_clients (the most distinct clients of one node-day;
--   which clients they were is not kept).
-- Parameters: $1 domain, $2 first day (date, NULL = no bound), $3 first day with raw rows
--   (date, exclusive bound), $4 node names (text[], NULL = all). Read-only.
select count(distinct stat_date)::int as days, coalesce(sum(hit_count), 0)::bigint as hit_count,
  coalesce(max(unique_clients), 0)::int as max_daily_clients
from dns_daily_domains
where domain = $1 and ($2::date is null or stat_date >= $2::date)
  and stat_date < $3::date and ($4::text[] is null or node_name = any($4::text[]))
