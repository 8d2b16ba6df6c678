-- 0005_latency: latency of the answers, where the source says it (dnstap), per hour and day.
-- Purpose: exact nearest-rank percentiles per node and hour / day, and a log-scale histogram
--   (4 buckets per octave: bucket i holds [2^(i/4), 2^((i+1)/4)) µs) that reports over several
--   hours, days or nodes add up to estimate percentiles within one bucket (±9 %).
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
alter table dns_hourly_totals
  add column latency_p50_us integer,
  add column latency_p95_us integer,
  add column latency_p99_us integer,
  add column latency_count bigint not null default 0,
  add column latency_hist bigint[];
alter table dns_daily_totals
  add column latency_p50_us integer,
  add column latency_p95_us integer,
  add column latency_p99_us integer,
  add column latency_count bigint not null default 0,
  add column latency_hist bigint[];

-- The latency (µs) at fraction `p` of a histogram as above: the geometric middle of the bucket
-- holding that rank (within ±9 % of the true value). NULL for an empty histogram.
create function dnsa_hist_percentile(hist bigint[], p double precision) returns integer
language sql immutable parallel safe as $$
  select round(power(2, (h.i - 1 + 0.5) / 4.0))::integer
  from (
    select i, sum(n) over (order by i) as running, sum(n) over () as total
    from unnest(hist) with ordinality as u(n, i)
  ) h
  where h.total > 0 and h.running >= ceil(p * h.total)
  order by h.i
  limit 1
$$;

-- The bucket-wise sum of histograms (an aggregate over rows).
create function dnsa_hist_add(a bigint[], b bigint[]) returns bigint[]
language sql immutable parallel safe as $$
  select coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) order by i), '{}')
  from unnest(coalesce(a, '{}'::bigint[]), coalesce(b, '{}'::bigint[])) with ordinality as u(x, y, i)
$$;

create aggregate dnsa_hist_sum(bigint[]) (sfunc = dnsa_hist_add, stype = bigint[]);
