-- queries-per-hour: queries per hour (hours of DNSA_LOG_TZ), oldest first.
-- Columns: stat_hour, hit_count, unique_clients (exact for one node, else from the merged
--   client hashes), unique_clients_error_pct, the rcode split, latency_p50_us, latency_p95_us,
--   latency_p99_us (where the source says it, dnstap: exact for one node, else from the merged
--   histograms, within ±9 %).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit, $5 IANA zone of the days. Reads dns_hourly_totals.
with h as (
  select stat_hour, sum(hit_count)::bigint as hit_count, count(*) as parts,
    max(unique_clients) as one_part_clients,
    sum(noerror_count)::bigint as noerror_count, sum(nxdomain_count)::bigint as nxdomain_count,
    sum(servfail_count)::bigint as servfail_count, sum(refused_count)::bigint as refused_count,
    sum(other_count)::bigint as other_count, sum(unknown_count)::bigint as unknown_count,
    max(latency_p50_us) as p50, max(latency_p95_us) as p95, max(latency_p99_us) as p99,
    dnsa_hist_sum(latency_hist) as hist
  from dns_hourly_totals
  where ($1::date is null or stat_hour >= ($1::date::timestamp at time zone $5::text))
    and ($2::date is null or stat_hour < (($2::date + 1)::timestamp at time zone $5::text))
    and ($3::text[] is null or node_name = any($3::text[]))
  group by stat_hour
),
counted as (
  select h.*, case when h.parts = 1 then h.one_part_clients::bigint else
    dnsa_sketch_count(array(
      select distinct x from dns_hourly_totals y, unnest(y.client_hashes) x
      where y.stat_hour = h.stat_hour and ($3::text[] is null or y.node_name = any($3::text[]))
      order by x limit 256)) end as unique_clients
  from h
)
select stat_hour, hit_count, unique_clients,
  case when parts = 1 then 0 else dnsa_sketch_error_pct(unique_clients) end
    as unique_clients_error_pct,
  noerror_count, nxdomain_count, servfail_count, refused_count, other_count, unknown_count,
  case when parts = 1 then p50 else dnsa_hist_percentile(hist, 0.5) end as latency_p50_us,
  case when parts = 1 then p95 else dnsa_hist_percentile(hist, 0.95) end as latency_p95_us,
  case when parts = 1 then p99 else dnsa_hist_percentile(hist, 0.99) end as latency_p99_us
from counted
order by stat_hour
limit $4
