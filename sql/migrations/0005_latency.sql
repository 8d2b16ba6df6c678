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
