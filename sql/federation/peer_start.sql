-- peer_start: record an attempt to pull from a peer and return its watermark.
-- Parameters: $1 peer label. Safe to re-run.
insert into federation_peers as p (peer_name, last_attempt_at)
values ($1, clock_timestamp())
on conflict (peer_name) do update set last_attempt_at = excluded.last_attempt_at
returning last_version::text as last_version, peer_database_id
