-- fdw_views: define pg_temp.dnsa_fdw_views (this session only), which makes, for each
--   statistics table T, the view T_all: the local rows of T union all, for every schema
--   peer_<label> that fdw_setup made, the peer's rows of its own nodes (registered there
--   without federated_from) that this database does not already pull (federated_from here),
--   so no node is counted twice. A peer schema without a foreign table T (the peer's
--   dns-analytics predates it) adds nothing to T_all.
-- Parameters: none here; the function takes the tables (text[]) and returns how many views
--   it made. Safe to re-run (the views are dropped and made again).
create or replace function pg_temp.dnsa_fdw_views(tables text[])
returns integer
language plpgsql as $$
declare
  t text;
  s text;
  cols text;
  body text;
  schemas text[];
  made integer := 0;
begin
  select coalesce(array_agg(ns.nspname::text order by ns.nspname), '{}') into schemas
  from pg_namespace ns
  where ns.nspname like 'peer\_%' and exists (
    select 1 from pg_class c
    where c.relnamespace = ns.oid and c.relname = 'dns_nodes' and c.relkind = 'f');
  foreach t in array tables loop
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
    from pg_attribute a
    where a.attrelid = format('public.%I', t)::regclass and a.attnum > 0
      and not a.attisdropped;
    body := format('select %s from public.%I', cols, t);
    foreach s in array schemas loop
      continue when not exists (
        select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = s and c.relname = t and c.relkind = 'f');
      body := body || format(
        ' union all select %s from %I.%I f where f.node_name in '
        '(select n.node_name from %I.dns_nodes n where n.federated_from is null) '
        'and f.node_name not in '
        '(select l.node_name from public.dns_nodes l where l.federated_from is not null)',
        cols, s, t, s);
    end loop;
    execute format('drop view if exists public.%I', t || '_all');
    execute format('create view public.%I as %s', t || '_all', body);
    made := made + 1;
  end loop;
  return made;
end;
$$
