-- versions_backfill: once per database, give a version to every local (node, day) whose
--   statistics were built before stats_versions existed, so a peer pulls them too. Then
--   records 'stats_versions_backfilled' in dnsa_settings and does nothing on later runs.
-- Parameters: $1 IANA zone of the days (DNSA_LOG_TZ). The caller holds the version lock.
--   Safe to re-run.
with done as (select 1 from dnsa_settings where key = 'stats_versions_backfilled'),
ins as (
  insert into stats_versions (node_name, stat_date, version, day_start, day_end)
  select t.node_name, t.stat_date, nextval('stats_versions_seq'),
    (t.stat_date::timestamp at time zone $1::text),
    ((t.stat_date + 1)::timestamp at time zone $1::text)
  from (
    select d.node_name, d.stat_date
    from (select distinct node_name, stat_date from dns_daily_totals) d
    join dns_nodes n using (node_name)
    where n.federated_from is null and not exists (select 1 from done)
    order by d.stat_date, d.node_name
  ) t
  on conflict (node_name, stat_date) do nothing
  returning 1
)
insert into dnsa_settings (key, value)
select 'stats_versions_backfilled', (select count(*) from ins)::text
where not exists (select 1 from done)
on conflict (key) do nothing
