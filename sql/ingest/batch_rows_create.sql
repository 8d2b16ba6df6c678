-- batch_rows_create: the session's table a batch's rows are written to (COPY or unnest) before
--   dnsa_pack_rows (migration 0027) packs them into blocks; emptied at every commit.
-- Parameters: none. Safe to re-run (once per batch).
create temp table if not exists dnsa_batch_rows (like dns_query_staged including defaults)
  on commit delete rows
