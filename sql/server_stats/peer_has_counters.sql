-- peer_has_counters: on a peer, whether it stores server counters (migration 0020).
-- Parameters: none. Read-only.
select to_regclass('dns_server_counters') is not null as present
