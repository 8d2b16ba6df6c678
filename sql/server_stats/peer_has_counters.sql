-- peer_has_counters: on a peer, whether it stores server counters (migration 0020) that this
--   role may read (a reader role granted before that migration may not: its statistics still
--   come, without the counters).
-- Parameters: none. Read-only.
select case when to_regclass('dns_server_counters') is null then false
  else has_table_privilege('dns_server_counters', 'select') end as present
