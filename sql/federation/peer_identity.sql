-- peer_identity: on a peer, its database identity and whether it records statistics
--   versions (migration 0007). Parameters: none. Read-only.
select (select value from dnsa_settings where key = 'database_id') as database_id,
  to_regclass('stats_versions') is not null as has_versions
