-- compact_blocks: merge each node's small query blocks (fewer than $1 queries, ended before
--   $2) into full ones (dnsa_compact_blocks, migration 0027). Returns the blocks taken apart.
-- Parameters: $1 min_rows (integer), $2 before (timestamptz). Runs in its own transaction.
select dnsa_compact_blocks($1::integer, $2::timestamptz) as n
