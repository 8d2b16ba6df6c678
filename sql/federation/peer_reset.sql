-- peer_reset: start a peer again from version 0 (its label now names another database, or
--   a full pull was asked for), remembering the peer database's identity.
-- Parameters: $1 peer label, $2 the peer's database_id. Safe to re-run.
update federation_peers set last_version = 0, peer_database_id = $2 where peer_name = $1
