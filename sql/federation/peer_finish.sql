-- peer_finish: the outcome of a pull from a peer. On success last_success_at is set and
--   last_error cleared; on failure last_error says what happened (never credentials).
-- Parameters: $1 peer label, $2 succeeded (boolean), $3 error text or NULL, $4 rows pulled by
--   this attempt.
update federation_peers
set last_success_at = case when $2::boolean then clock_timestamp() else last_success_at end,
    last_error = $3,
    last_rows = $4::bigint
where peer_name = $1
