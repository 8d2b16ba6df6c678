-- 0022_reader_raw_privileges: the read-only role dns_reader reads statistics, never individual
--   queries.
-- Purpose: deploy/postgres-setup.sql gives dns_reader SELECT on every table dns_user creates
--   (default privileges), so each new day partition of dns_queries became readable by it.
--   Here every table that holds individual queries or client lines (dns_queries and its
--   partitions, dns_query_errors, ingest_rejects, dnstap_pending) loses dns_reader's
--   privileges, and partition creation (dnsa_ensure_day_partition, and the privacy tier's
--   rewritten partitions) revokes them from each new partition. The statistics tables,
--   dns_daily_clients included (a federation peer reads it), stay readable. The role is
--   dns_reader, or the one named by dnsa_settings key `reader_role`; a database without that
--   role is left as it is.
-- Parameters: none. Applied once by lib/db/migrate.ts; every statement is `create or replace`
--   or a revoke, so it is safe to re-run.

-- Revoke the reader role's privileges on one raw table, if that role exists.
create or replace function dnsa_restrict_raw(tbl regclass) returns void
language plpgsql as $$
declare
  reader text := coalesce(
    (select value from dnsa_settings where key = 'reader_role'), 'dns_reader');
begin
  if exists (select from pg_roles where rolname = reader) then
    execute format('revoke all on %s from %I', tbl, reader);
  end if;
end;
$$;

do $$
declare
  t regclass;
begin
  for t in
    select c.oid::regclass
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema()
      and c.relkind in ('r', 'p')
      and (c.relname in ('dns_queries', 'dns_query_errors', 'ingest_rejects', 'dnstap_pending')
           or c.relname like 'dns\_queries\_p%')
  loop
    perform dnsa_restrict_raw(t);
  end loop;
end
$$;

-- Create the day partition of dns_queries that holds `day` in zone `tz`, if missing; a new
-- partition is not readable by dns_reader. Safe to re-run.
create or replace function dnsa_ensure_day_partition(day date, tz text) returns void
language plpgsql as $$
declare
  part text := format('dns_queries_p%s', to_char(day, 'YYYYMMDD'));
  lo timestamptz := (day::timestamp at time zone tz);
  hi timestamptz := ((day + 1)::timestamp at time zone tz);
begin
  if to_regclass(part) is null then
    execute format(
      'create table if not exists %I partition of dns_queries for values from (%L) to (%L)',
      part, lo, hi);
    perform dnsa_restrict_raw(part::regclass);
  end if;
end;
$$;
