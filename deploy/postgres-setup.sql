-- postgres-setup: the database dns_analytics, the role dns-analytics writes with (dns_user,
-- as the seed guide names it) and a read-only role for reports and dashboards (dns_reader).
--
-- Run as the postgres superuser, with the two passwords as psql variables:
--   sudo -u postgres psql -v ON_ERROR_STOP=1 \
--     -v ingest_password='…' -v reader_password='…' -f deploy/postgres-setup.sql
-- Safe to re-run: existing roles keep their password and the database is kept; grants are
-- applied again. Run it once more after dns-analytics first started (its migrations create
-- the tables) so dns_reader gets SELECT on the tables that exist by then; tables created
-- later are covered by the default privileges below.
--
-- Least privilege: dns_user is no superuser and cannot create roles or databases; it owns
-- the database, hence its public schema (PostgreSQL 15: pg_database_owner), so it owns
-- the tables its migrations create and nothing else. dns_reader may connect and read.

\if :{?ingest_password}
\else
  \echo 'postgres-setup: pass -v ingest_password=... (the DB_PASSWORD of dns-analytics.env)'
  \quit
\endif
\if :{?reader_password}
\else
  \echo 'postgres-setup: pass -v reader_password=... (the password of the reports role)'
  \quit
\endif

select format('create role dns_user login nosuperuser nocreatedb nocreaterole password %L',
              :'ingest_password')
 where not exists (select from pg_roles where rolname = 'dns_user') \gexec
select format('create role dns_reader login nosuperuser nocreatedb nocreaterole password %L',
              :'reader_password')
 where not exists (select from pg_roles where rolname = 'dns_reader') \gexec

select 'create database dns_analytics owner dns_user'
 where not exists (select from pg_database where datname = 'dns_analytics') \gexec

-- Nobody else connects or creates temporary tables there.
revoke all on database dns_analytics from public;
grant connect, temporary on database dns_analytics to dns_user;
grant connect on database dns_analytics to dns_reader;

\connect dns_analytics

-- The schema stays the database owner's (dns_user); others may only look up names in it.
revoke create on schema public from public;
grant usage on schema public to dns_reader;

-- The statistics tables the reports read, the node registry, and what a federation peer
-- reads (stats_versions, dnsa_settings' database_id): those that exist now. A peer's
-- DNSA_PEERS URL should name dns_reader: federate only reads on the peer.
do $$
declare
  t text;
begin
  foreach t in array array[
    'dns_nodes', 'dns_hourly_stats', 'dns_daily_stats', 'dns_daily_domains',
    'dns_daily_apexes', 'dns_daily_clients', 'dns_daily_qtypes', 'dns_hourly_totals',
    'dns_daily_totals', 'dns_domains_seen', 'rollup_dirty', 'job_runs',
    'stats_versions', 'dnsa_settings', 'federated_days', 'federation_peers',
    'dns_server_counters'
  ] loop
    if to_regclass(format('public.%I', t)) is not null then
      execute format('grant select on public.%I to dns_reader', t);
    end if;
  end loop;
end
$$;

-- Tables dns_user creates from now on (statistics of later migrations) are readable by
-- dns_reader. This includes the day partitions of dns_queries; revoke them if reports
-- must not see individual queries.
alter default privileges for role dns_user in schema public grant select on tables to dns_reader;
