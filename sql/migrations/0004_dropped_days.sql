-- 0004_dropped_days: remember the days whose raw partition retention dropped.
-- Purpose: late rows of such a day (an old log read again) recreate its partition, but they
--   are only part of the day: the rollup must keep the day's statistics, not rebuild them from
--   the late rows. dnsa_drop_day_partition now records the day; sql/rollup/day_bounds.sql reads
--   it.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
create table raw_days_dropped (
  stat_date   date primary key,
  dropped_at  timestamptz not null default now()
);

create or replace function dnsa_drop_day_partition(part text, lo timestamptz, hi timestamptz)
returns void
language plpgsql as $$
begin
  if part !~ '^dns_queries_p[0-9]{8}$' then
    raise exception 'not a day partition of dns_queries: %', part;
  end if;
  execute format('drop table if exists %I', part);
  delete from rollup_dirty where stat_hour >= lo and stat_hour < hi;
  insert into raw_days_dropped (stat_date) values (to_date(substr(part, 14), 'YYYYMMDD'))
  on conflict (stat_date) do nothing;
end;
$$;
