-- apply_rcodes: set the rcode (and query-errors reason) of joined query rows: for a row in a
--   block, its outcome (dns_query_outcomes, migration 0027; the block is not rewritten); for
--   a staged row, the row itself.
-- Parameters: parallel arrays $1 block_id (0 = staged row), $2 idx (or the staged row's id),
--   $3 rcode, $4 reason (NULL keeps the row's), $5 rcode_source, all as match_candidates.sql
--   returned them. Runs in the batch's transaction, right after match_candidates. An rcode
--   from a response line is exact and is never replaced by one derived from a query-errors
--   reason.
with u as (
  select * from unnest($1::text[]::bigint[], $2::text[]::bigint[], $3::text[], $4::text[],
    $5::text[]) as u(block_id, idx, rcode, reason, source)
),
cur as (
  select u.*, b.first_at as block_first_at,
    case when o.idx is null then b.response_rcode[u.idx] else o.response_rcode end as cur_rcode,
    case when o.idx is null then b.error_reason[u.idx] else o.error_reason end as cur_reason,
    case when o.idx is null then b.rcode_source[u.idx] else o.rcode_source end as cur_source
  from u
  join dns_query_blocks b on b.block_id = u.block_id
  left join dns_query_outcomes o
    on o.first_at = b.first_at and o.block_id = b.block_id and o.idx = u.idx
  where u.block_id <> 0
),
outcomes as (
  insert into dns_query_outcomes as o
    (first_at, block_id, idx, response_rcode, error_reason, rcode_source)
  select block_first_at, block_id, idx,
    case when cur_source = 'response' then cur_rcode else rcode end,
    coalesce(reason, cur_reason),
    case when cur_source = 'response' then cur_source else source end
  from cur
  on conflict (first_at, block_id, idx) do update set
    response_rcode = excluded.response_rcode, error_reason = excluded.error_reason,
    rcode_source = excluded.rcode_source
  returning 1
),
staged as (
  update dns_query_staged q set
    response_rcode = case when q.rcode_source = 'response' then q.response_rcode else u.rcode end,
    error_reason = coalesce(u.reason, q.error_reason),
    rcode_source = case when q.rcode_source = 'response' then q.rcode_source else u.source end
  from u
  where u.block_id = 0 and q.id = u.idx
  returning 1
)
select (select count(*) from outcomes) + (select count(*) from staged) as n
