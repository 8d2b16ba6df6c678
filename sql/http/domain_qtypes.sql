-- domain_qtypes: one domain's queries per qtype over a range of days, most queried first.
-- Columns: qtype, hit_count.
-- Parameters: $1 domain, $2 first day, $3 last day (date, inclusive), $4 node names (text[],
--   NULL = all nodes), $5 limit. Reads dns_daily_stats through its (domain, stat_date)
--   index. Read-only; safe to re-run.
select qtype, sum(hit_count)::bigint as hit_count
from dns_daily_stats
where domain = $1::text and stat_date >= $2::date and stat_date <= $3::date
  and ($4::text[] is null or node_name = any($4::text[]))
group by qtype
order by hit_count desc, qtype
limit $5::int
