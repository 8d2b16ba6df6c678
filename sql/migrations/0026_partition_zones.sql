-- 0026_partition_zones: day partitions that stay correct when DNSA_LOG_TZ changes.
-- Purpose: a day partition of dns_queries carries the bounds of the zone it was made in; a
--   day of another zone overlaps the partitions of two of the first zone's days. A row in a
--   part of its day that the partitions of another zone cover went nowhere (SQLSTATE 23514).
--   Now dnsa_ensure_day_partition creates partitions only for the parts of a day no partition
--   covers yet (the gaps), and returns the one partition that holds the whole day, if one does
--   (ingest copies straight into it only then; otherwise into dns_queries). Retention drops a
--   partition by its bounds (dnsa_drop_partition), whatever zone made it. A new partition is
--   not readable by the reader role (dnsa_restrict_raw, 0022), as before.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.

-- Every partition of dns_queries with its bounds (read from the catalog).
-- Read-only; safe to call any time.
create function dnsa_partition_bounds()
returns table (name text, lo timestamptz, hi timestamptz)
language sql stable as $$
  select c.relname::text, m[1]::timestamptz, m[2]::timestamptz
  from pg_inherits i
  join pg_class c on c.oid = i.inhrelid
  cross join lateral regexp_match(
    pg_get_expr(c.relpartbound, c.oid),
    '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$') as m
  where i.inhparent = 'dns_queries'::regclass
$$;

-- Create the partitions that cover the parts of `day` (in zone `tz`) no partition covers yet,
-- and return the name of the partition that holds the whole day (NULL when several share it).
-- A part of the day that is the whole day takes the day's plain name (dns_queries_pYYYYMMDD);
-- a smaller part, or a day whose plain name is taken, gets the name plus the part's start in
-- UTC (dns_queries_pYYYYMMDD_YYYYMMDDtHHMMSSz). Safe to re-run; callers hold an advisory lock.
drop function dnsa_ensure_day_partition(date, text);
create function dnsa_ensure_day_partition(day date, tz text) returns text
language plpgsql as $$
declare
  day_lo timestamptz := (day::timestamp at time zone tz);
  day_hi timestamptz := ((day + 1)::timestamp at time zone tz);
  base text := format('dns_queries_p%s', to_char(day, 'YYYYMMDD'));
  covered timestamptz := day_lo;
  p record;
  whole text;
begin
  for p in
    select b.lo, b.hi from dnsa_partition_bounds() b
    where b.lo < day_hi and b.hi > day_lo
    order by b.lo
  loop
    if p.lo > covered then
      perform dnsa_create_partition(base, covered, p.lo, day_lo, day_hi);
    end if;
    if p.hi > covered then
      covered := p.hi;
    end if;
  end loop;
  if covered < day_hi then
    perform dnsa_create_partition(base, covered, day_hi, day_lo, day_hi);
  end if;
  select b.name into whole from dnsa_partition_bounds() b
  where b.lo <= day_lo and b.hi >= day_hi;
  return whole;
end;
$$;

-- One partition of dns_queries for [lo, hi), named after its day `base` (see above); not
-- readable by the reader role (0022).
create function dnsa_create_partition(
  base text, lo timestamptz, hi timestamptz, day_lo timestamptz, day_hi timestamptz)
returns void
language plpgsql as $$
declare
  part text := base;
begin
  if lo <> day_lo or hi <> day_hi or to_regclass(base) is not null then
    part := format('%s_%s', base, to_char(lo at time zone 'UTC', 'YYYYMMDD"t"HH24MISS"z"'));
  end if;
  execute format(
    'create table if not exists %I partition of dns_queries for values from (%L) to (%L)',
    part, lo, hi);
  perform dnsa_restrict_raw(part::regclass);
end;
$$;

-- Drop one partition of dns_queries (by name, any zone's) and the rollup marks of its span,
-- and record every day of zone `tz` it held rows of as dropped (sql/rollup/day_bounds.sql).
-- Safe to re-run: a partition already gone is left alone.
create function dnsa_drop_partition(part text, tz text) returns void
language plpgsql as $$
declare
  b record;
begin
  if part !~ '^dns_queries_p[0-9]{8}(_[0-9]{8}t[0-9]{6}z)?$' then
    raise exception 'not a day partition of dns_queries: %', part;
  end if;
  select * into b from dnsa_partition_bounds() x where x.name = part;
  if not found then
    return;
  end if;
  execute format('drop table %I', part);
  delete from rollup_dirty where stat_hour >= b.lo and stat_hour < b.hi;
  insert into raw_days_dropped (stat_date)
  select d::date from generate_series(
    (b.lo at time zone tz)::date::timestamp,
    ((b.hi - interval '1 microsecond') at time zone tz)::date::timestamp,
    interval '1 day') as d
  on conflict (stat_date) do nothing;
end;
$$;
