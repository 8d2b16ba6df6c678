-- fdw_views_call: run pg_temp.dnsa_fdw_views (fdw_views.sql).
-- Parameters: $1 tables (text[]). Safe to re-run.
select pg_temp.dnsa_fdw_views($1::text[]) as views
