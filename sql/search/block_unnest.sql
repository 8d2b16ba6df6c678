-- block_unnest: the rows of some blocks of dns_query_blocks that match a search, with only the
--   arrays the statement needs (lib/search/block_unnest.ts: the streams and the drill-downs), as
--   sql/search/block_rows.sql gives them. A block read whole has its arrays unnested by
--   set-returning functions in a select list (ProjectSet: one element at a time, as the rows
--   are read) rather than by unnest in FROM, which first writes every array of the block into
--   a tuple store (measured: 1.0 s against 0.3 s for the 24 arrays of 250 blocks, 1 M rows).
--   A block read at the positions of a key's value (array_positions) has its other arrays
--   made expanded arrays once when it has more than one (array_append of one NULL:
--   PostgreSQL's in-memory form, whose elements are indexed), so each subscript is one step
--   instead of a walk from the start of a text or inet array; at one position the stored
--   array is read once by its one subscript.
--   A FROM clause giving alias q: block_id, first_at, idx (1-based, as the view's), queried_at,
--   node_id and the columns asked for, with the view's outcome overlay on response_rcode,
--   error_reason and rcode_source.
-- Parameters: none of its own. The caller replaces the arrays marker with the arrays to read
--   (and pos, the key's positions, and has_outcomes when an outcome column is read), the
--   expanded marker with them as the rows read them (expanded where there are positions), the
--   blocks_where marker with `and ...` over b, the source marker with the rows of one block
--   (idx, at_us and the columns asked for), the columns marker with those columns (and oc, the
--   row's dns_query_outcomes record when the block has one), the out_columns marker with them
--   as q gives them (the overlay applied), and the row_where marker with the filter's row
--   conditions over q. Read-only.
(
  -- offset 0 (twice): a block's arrays are read (and, for the positions of a key, expanded)
  -- once here, for all of its rows below.
  select b.block_id, b.first_at, b.node_id, /*expanded*/
  from (
    select b.block_id, b.first_at, b.node_id, /*arrays*/
    from dns_query_blocks b
    where true /*blocks_where*/
    offset 0
  ) b
  offset 0
) b
cross join lateral (
  select q.block_id, q.first_at, q.idx, q.queried_at, q.node_id /*out_columns*/
  from (
    -- offset 0: the outcome record (oc) is looked up once per row, however often it is read.
    select b.block_id, b.first_at, u.idx,
      b.first_at + u.at_us * interval '1 microsecond' as queried_at, b.node_id /*columns*/
    from (/*source*/) u
    offset 0
  ) q
) q
where true /*row_where*/
