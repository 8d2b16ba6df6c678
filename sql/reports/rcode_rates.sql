-- rcode-rates: how the queries in range were answered, one row per rcode class.
-- Columns: rcode (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, other, unknown = the source does not
--   say: with the query log alone, every query without a query-errors line), hit_count,
--   rate_pct (of all queries in range).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit. Reads dns_daily_totals.
with t as (
  select coalesce(sum(noerror_count), 0) as noerror, coalesce(sum(nxdomain_count), 0) as nxdomain,
    coalesce(sum(servfail_count), 0) as servfail, coalesce(sum(refused_count), 0) as refused,
    coalesce(sum(other_count), 0) as other, coalesce(sum(unknown_count), 0) as unknown,
    coalesce(sum(hit_count), 0) as total
  from dns_daily_totals
  where ($1::date is null or stat_date >= $1::date) and ($2::date is null or stat_date <= $2::date)
    and ($3::text[] is null or node_name = any($3::text[]))
)
select r.rcode, r.n::bigint as hit_count, round(100.0 * r.n / nullif(t.total, 0), 2) as rate_pct
from t cross join lateral (values
  (1, 'NOERROR', t.noerror), (2, 'NXDOMAIN', t.nxdomain), (3, 'SERVFAIL', t.servfail),
  (4, 'REFUSED', t.refused), (5, 'other', t.other), (6, 'unknown', t.unknown)
) as r(pos, rcode, n)
order by r.pos
limit $4
