-- stream_blocks: every row of some blocks of dns_query_blocks with every column, for a stream
--   of a filter that has no key to find its rows by (lib/search/stream_blocks.ts): a FROM
--   clause giving alias q (block_id, first_at, idx, queried_at, node_id and the 24 columns of
--   dns_queries), with the view's outcome overlay on response_rcode, error_reason and
--   rcode_source.
--   The arrays are unnested by set-returning functions in a select list (ProjectSet: the
--   elements are taken one by one as the rows are read), not by unnest in FROM, which writes
--   all 24 arrays of a block into tuple stores first (measured: 1.0 s against 0.3 s for the
--   1 M rows of 250 blocks). Arrays of different lengths are padded with NULLs either way.
-- Parameters: none of its own. The caller replaces the blocks_where marker with `and ...` over
--   b, the unnest marker with `unnest(b.<column>) as <column>` for every array, and the
--   row_where marker with the filter's row conditions over q. Read-only.
(
  select u.block_id, u.first_at, u.idx, u.first_at + u.at_us * interval '1 microsecond'
      as queried_at, u.node_id, u.client_ip, u.client_port, u.domain, u.apex_domain, u.qtype,
    u.qclass, u.flags,
    case when u.oc is null then u.response_rcode else (u.oc).response_rcode end
      as response_rcode,
    u.cached, u.transport, u.view, u.recursion_desired, u.edns_version, u.dnssec_ok,
    u.checking_disabled, u.client_subnet, u.server_ip,
    case when u.oc is null then u.error_reason else (u.oc).error_reason end as error_reason,
    case when u.oc is null then u.rcode_source else (u.oc).rcode_source end as rcode_source,
    u.latency_us, u.response_size, u.response_flags, u.answer_count
  from (
    -- offset 0: the outcome record (oc) is looked up once per row, only in blocks that have
    -- outcomes, however often it is read above.
    select u.*, case when u.has_outcomes then (select o from dns_query_outcomes o
        where o.first_at = u.first_at and o.block_id = u.block_id and o.idx = u.idx) end as oc
    from (
      select b.block_id, b.first_at, b.node_id, b.has_outcomes, /*unnest*/,
        generate_series(1, cardinality(b.at_us)) as idx
      from (
        -- offset 0: has_outcomes once per block (in the select list of the set-returning
        -- functions it would be evaluated again for every row).
        select b.*, exists (select from dns_query_outcomes o where o.first_at = b.first_at
          and o.block_id = b.block_id) as has_outcomes
        from dns_query_blocks b
        where true /*blocks_where*/
        offset 0
      ) b
    ) u
    offset 0
  ) u
) q
where true /*row_where*/
