-- version_bump: record that one node's day was rebuilt, with the next statistics version.
--   Federation peers pull the days whose version is above their watermark. The caller holds
--   the version lock (lib/rollup.ts STATS_VERSION_LOCK) until its transaction ends, so
--   versions become visible in the order they were taken.
-- Parameters: $1 node_name, $2 day (date), $3 start of the day, $4 start of the next day
--   (timestamptz, the day's hours in DNSA_LOG_TZ). Safe to re-run (takes a new version).
insert into stats_versions (node_name, stat_date, version, day_start, day_end)
values ($1, $2::date, nextval('stats_versions_seq'), $3::timestamptz, $4::timestamptz)
on conflict (node_name, stat_date) do update
  set version = excluded.version, day_start = excluded.day_start, day_end = excluded.day_end,
      updated_at = now()
