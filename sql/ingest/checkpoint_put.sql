-- checkpoint_put: record that a file was read to $4, adding this batch's counters.
-- Parameters: $1 node_id, $2 fingerprint, $3 path, $4 byte_offset, $5 lines, $6 rows,
--   $7 rejected, $8 skipped, $9 reasons (jsonb, this batch's rejects by reason),
--   $10 last_line_at. Runs in the batch's transaction; re-running adds the counters again.
insert into ingest_checkpoints as c
  (node_id, fingerprint, path, byte_offset, lines, rows_added, rejected, skipped, reasons,
   last_line_at, updated_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, now())
on conflict (node_id, fingerprint) do update set
  path = excluded.path,
  byte_offset = excluded.byte_offset,
  lines = c.lines + excluded.lines,
  rows_added = c.rows_added + excluded.rows_added,
  rejected = c.rejected + excluded.rejected,
  skipped = c.skipped + excluded.skipped,
  reasons = (
    select coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
    from (
      select k, sum(v::bigint) as v
      from (
        select key as k, value as v from jsonb_each_text(c.reasons)
        union all
        select key, value from jsonb_each_text(excluded.reasons)
      ) both_sides
      group by k
    ) summed
  ),
  last_line_at = coalesce(excluded.last_line_at, c.last_line_at),
  updated_at = now()
