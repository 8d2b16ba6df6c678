-- peer_advance: move a peer's watermark past a version and count what was pulled, inside the
--   transaction that applied it (so a run killed half way resumes after the last applied day).
-- Parameters: $1 peer label, $2 version (bigint), $3 rows pulled, $4 days pulled.
update federation_peers
set last_version = greatest(last_version, $2::bigint),
    rows_pulled = rows_pulled + $3::bigint,
    days_pulled = days_pulled + $4::bigint
where peer_name = $1
