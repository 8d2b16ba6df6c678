-- fdw_setup_call: run pg_temp.dnsa_fdw_setup (fdw_setup.sql) for one peer.
-- Parameters: $1 peer label, $2 host, $3 port, $4 dbname, $5 user, $6 password or NULL,
--   $7 tables (text[]). Safe to re-run.
select pg_temp.dnsa_fdw_setup($1::text, $2::text, $3::text, $4::text, $5::text, $6::text,
  $7::text[]) as schema
