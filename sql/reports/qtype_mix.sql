-- qtype-mix: queries per qtype with their share, most frequent first.
-- Columns: qtype, hit_count, share_pct (of all queries in range), the rcode split.
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit. Reads dns_daily_qtypes.
with q as (
  select qtype, sum(hit_count)::bigint as hit_count,
    sum(noerror_count)::bigint as noerror_count, sum(nxdomain_count)::bigint as nxdomain_count,
    sum(servfail_count)::bigint as servfail_count, sum(refused_count)::bigint as refused_count,
    sum(other_count)::bigint as other_count, sum(unknown_count)::bigint as unknown_count
  from dns_daily_qtypes
  where ($1::date is null or stat_date >= $1::date) and ($2::date is null or stat_date <= $2::date)
    and ($3::text[] is null or node_name = any($3::text[]))
  group by qtype
)
select qtype, hit_count,
  round(100.0 * hit_count / nullif(sum(hit_count) over (), 0), 2) as share_pct,
  noerror_count, nxdomain_count, servfail_count, refused_count, other_count, unknown_count
from q
order by hit_count desc, qtype
limit $4
