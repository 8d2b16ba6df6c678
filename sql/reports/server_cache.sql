-- server-cache: named's resolver cache per day, from its statistics channel
--   (dns_server_counters), oldest first.
-- Columns: stat_date (in DNSA_LOG_TZ), requests (queries received), recursion_count (queries
--   that asked for recursion and got it), query_hits and query_misses (client queries
--   answered from the cache or not: named's QueryHits and QueryMisses, summed over views),
--   hit_ratio_pct (query_hits of query_hits + query_misses), cache_hits and cache_misses
--   (every cache lookup, named's CacheHits and CacheMisses).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit, $5 IANA zone of the days. Reads dns_server_counters.
select (stat_minute at time zone $5::text)::date as stat_date,
  sum(requests)::bigint as requests, sum(recursion_count)::bigint as recursion_count,
  sum(cache_query_hits)::bigint as query_hits, sum(cache_query_misses)::bigint as query_misses,
  round(100.0 * sum(cache_query_hits) /
    nullif(sum(cache_query_hits) + sum(cache_query_misses), 0), 2) as hit_ratio_pct,
  sum(cache_hits)::bigint as cache_hits, sum(cache_misses)::bigint as cache_misses
from dns_server_counters
where ($1::date is null or stat_minute >= ($1::date::timestamp at time zone $5::text))
  and ($2::date is null or stat_minute < (($2::date + 1)::timestamp at time zone $5::text))
  and ($3::text[] is null or node_name = any($3::text[]))
group by 1
order by 1
limit $4
