-- node-totals: queries per node, with its share, first and last day, and unique clients.
-- Columns: node_name, hit_count, share_pct, unique_clients (exact for one day, else from the
--   merged client hashes), unique_clients_error_pct, the rcode split, first_day, last_day,
--   latency_p50_us, latency_p95_us, latency_p99_us (dnstap nodes: exact for one day, else
--   from the merged histograms, within ±9 %).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit. Reads dns_daily_totals.
with n as (
  select node_name, sum(hit_count)::bigint as hit_count, count(*) as parts,
    max(unique_clients) as one_part_clients,
    sum(noerror_count)::bigint as noerror_count, sum(nxdomain_count)::bigint as nxdomain_count,
    sum(servfail_count)::bigint as servfail_count, sum(refused_count)::bigint as refused_count,
    sum(other_count)::bigint as other_count, sum(unknown_count)::bigint as unknown_count,
    min(stat_date) as first_day, max(stat_date) as last_day,
    max(latency_p50_us) as p50, max(latency_p95_us) as p95, max(latency_p99_us) as p99,
    dnsa_hist_sum(latency_hist) as hist
  from dns_daily_totals
  where ($1::date is null or stat_date >= $1::date) and ($2::date is null or stat_date <= $2::date)
    and ($3::text[] is null or node_name = any($3::text[]))
  group by node_name
),
counted as (
  select n.*, case when n.parts = 1 then n.one_part_clients::bigint else
    dnsa_sketch_count(array(
      select distinct h from dns_daily_totals y, unnest(y.client_hashes) h
      where y.node_name = n.node_name
        and ($1::date is null or y.stat_date >= $1::date)
        and ($2::date is null or y.stat_date <= $2::date)
      order by h limit 256)) end as unique_clients
  from n
)
select node_name, hit_count,
  round(100.0 * hit_count / nullif(sum(hit_count) over (), 0), 2) as share_pct,
  unique_clients,
  case when parts = 1 then 0 else dnsa_sketch_error_pct(unique_clients) end
    as unique_clients_error_pct,
  noerror_count, nxdomain_count, servfail_count, refused_count, other_count, unknown_count,
  first_day::text as first_day, last_day::text as last_day,
  case when parts = 1 then p50 else dnsa_hist_percentile(hist, 0.5) end as latency_p50_us,
  case when parts = 1 then p95 else dnsa_hist_percentile(hist, 0.95) end as latency_p95_us,
  case when parts = 1 then p99 else dnsa_hist_percentile(hist, 0.99) end as latency_p99_us
from counted
order by hit_count desc, node_name
limit $4
