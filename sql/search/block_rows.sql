-- block_rows: the rows of some blocks of dns_query_blocks that match a search, with only the
--   arrays the statement needs (lib/search/block_rows.ts): a FROM clause giving alias q
--   (block_id, first_us, idx, t = queried_at as epoch microseconds, queried_at, node_id and
--   the columns asked for), with the view's outcome overlay on response_rcode.
-- Parameters: none of its own. The caller replaces the arrays marker with the arrays to read
--   (and has_outcomes when the rcode is read), the blocks_where marker with `and ...` over b,
--   the source marker with the rows of one block (an unnest, or subscripts at the positions
--   of one value), the columns marker with the columns asked for (and oc, the row's
--   dns_query_outcomes record when the block has one), the out_columns marker with them as
--   q gives them (the outcome overlay applied), and the row_where marker with the filter's row conditions over q. Read-only.
(
  -- offset 0: a block's arrays are read (or copied) once here, for all of its rows below.
  select b.block_id, b.first_at, b.node_id,
    (extract(epoch from b.first_at) * 1000000)::bigint as first_us, /*arrays*/
  from dns_query_blocks b
  where true /*blocks_where*/
  offset 0
) b
cross join lateral (
  select q.block_id, q.first_us, q.idx, q.t, q.queried_at, q.node_id /*out_columns*/
  from (
    -- offset 0: the outcome record (oc) is looked up once per row, however often it is read.
    select b.block_id, b.first_us, u.idx, b.first_us + u.at_us as t,
      b.first_at + u.at_us * interval '1 microsecond' as queried_at, b.node_id /*columns*/
    from /*source*/
    offset 0
  ) q
) q
where true /*row_where*/
