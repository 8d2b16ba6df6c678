-- fdw_setup: define pg_temp.dnsa_fdw_setup (this session only), which makes the postgres_fdw
--   route to one peer: the extension, a server dnsa_peer_<label>, a user mapping for the
--   current role, and the peer's statistics tables and registry as foreign tables in schema
--   peer_<label> (dropped and made again, so re-running picks up a changed peer).
--   The user mapping holds the peer's password when one is given: postgres_fdw keeps it in
--   the catalog pg_user_mapping, which only superusers read.
--   Labels fold to lower case with other characters as '_' (and names are cut at 63 bytes),
--   so two peers can fold to one schema (dns-2 and dns_2): the schema's comment names its
--   peer, and setting up a peer whose schema belongs to another is refused (SQLSTATE 42710)
--   instead of dropping the other's route.
-- Parameters: none here; the function takes (peer label, host, port, dbname, user, password
--   or NULL, tables text[]) and returns the schema name. Safe to re-run.
create or replace function pg_temp.dnsa_fdw_setup(peer text, host text, port text, db text,
  usr text, pass text, tables text[])
returns text
language plpgsql as $$
declare
  label text := lower(regexp_replace(peer, '[^A-Za-z0-9_]', '_', 'g'));
  srv text := left('dnsa_peer_' || label, 63);
  sch text := left('peer_' || label, 63);
  mark text := 'dns-analytics postgres_fdw route of peer ' || peer;
  holder text;
begin
  select obj_description(ns.oid, 'pg_namespace') into holder
  from pg_namespace ns where ns.nspname = sch;
  if holder like 'dns-analytics postgres_fdw route of peer %' and holder <> mark then
    raise exception using errcode = '42710', message = format(
      'fdw peer "%s" would use schema %s, which is the route of peer "%s" (their labels fold '
      'to the same name): give one of them another label in DNSA_PEERS', peer, sch,
      substr(holder, length('dns-analytics postgres_fdw route of peer ') + 1));
  end if;
  create extension if not exists postgres_fdw;
  execute format('drop schema if exists %I cascade', sch);
  execute format('drop server if exists %I cascade', srv);
  execute format(
    'create server %I foreign data wrapper postgres_fdw '
    'options (host %L, port %L, dbname %L, fetch_size %L)', srv, host, port, db, '10000');
  if pass is null then
    execute format('create user mapping for current_user server %I options (user %L)',
      srv, usr);
  else
    execute format(
      'create user mapping for current_user server %I options (user %L, password %L)',
      srv, usr, pass);
  end if;
  execute format('create schema %I', sch);
  execute format('comment on schema %I is %L', sch, mark);
  execute format('import foreign schema public limit to (%s) from server %I into %I',
    (select string_agg(quote_ident(t), ', ') from unnest(tables) t), srv, sch);
  return sch;
end;
$$
