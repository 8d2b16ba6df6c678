-- 0038_apex_bloom: each block's apex domains in a Bloom filter; no GIN index on their hashes.
-- Purpose: the GIN index of the blocks' apex hashes (`names`, 0027) cost a backfill more
--   than any other part of the server's work: ~0.3 s of CPU per 1 M queries (1,270 entries a
--   block of synthetic ISP traffic), ~0.15 s of the wall clock on two cores. A search by
--   apex, exact name or name suffix now checks each block of its time range against the
--   block's `apex_bloom`, as an exact name is checked against `name_bloom` (0031): one byte a
--   distinct apex (8 bits, 5 set per apex: ~2 % false positives), small enough to stay in the
--   block's heap row, so the check reads no TOAST. `names` is still written and read after the
--   filter (and by blocks stored before this migration, whose `apex_bloom` is NULL), only not
--   indexed. The ingest (lib/ingest/block_sink.ts) builds the filter with the hashes of
--   lib/ingest/name_bloom.ts; SQL packing uses dnsa_name_bloom (0031).
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run.

alter table dns_query_blocks add column if not exists apex_bloom bytea;
drop index if exists dns_query_blocks_names;

-- Pack the rows of table `src` (dns_query_staged's columns; all of them, or those of node
-- `node` when given) into blocks as 0037 does, with each block's apex_bloom.
create or replace function dnsa_pack_rows(src regclass, node integer default null)
returns bigint
language plpgsql as $$
declare
  n bigint;
begin
  begin
  execute format($q$
    with moved as (
      delete from %s s where $1 is null or s.node_id = $1 returning s.*
    ),
    rounds as (
      -- Rounds of 16,000 rows in time order, the rows of one instant in one round (rank):
      -- the blocks of a round lie within its time, so rounds do not overlap (a stream sorts
      -- one group of overlapping blocks at a time).
      select m.*, coalesce(p.lo, m.queried_at) as part_lo,
        hashinet(m.client_ip) & 3 as bucket,
        (rank() over (partition by m.node_id, p.lo, m.origin order by m.queried_at) - 1) / 16000
          as round
      from moved m
      left join dnsa_partition_bounds() p on m.queried_at >= p.lo and m.queried_at < p.hi
    ),
    placed as (
      select r.*,
        (row_number() over (partition by r.node_id, r.part_lo, r.origin, r.round, r.bucket
                            order by r.queried_at, r.id) - 1) / 4000 as chunk
      from rounds r
    ),
    timed as (
      select p.*, min(p.queried_at) over (
        partition by p.node_id, p.part_lo, p.origin, p.round, p.bucket, p.chunk)
        as first
      from placed p
    ),
    added as (
      insert into dns_query_blocks (node_id, first_at, last_at, n, origin, clients, names,
        name_bloom, apex_bloom,
        at_us, client_ip, client_port, domain, apex_domain, qtype, flags, response_rcode,
        cached, qclass, view, transport, recursion_desired, edns_version, dnssec_ok,
        checking_disabled, client_subnet, server_ip, error_reason, rcode_source, latency_us,
        response_size, response_flags, answer_count)
      select node_id, min(queried_at), max(queried_at), count(*), origin,
        (select array_agg(distinct c) from unnest(array_agg(client_ip)) c),
        (select array_agg(distinct dnsa_name_hash(x)) from unnest(array_agg(apex_domain)) x
         where x is not null),
        dnsa_name_bloom(array_agg(distinct domain), count(*)::integer),
        dnsa_name_bloom(array_agg(distinct apex_domain),
          greatest(count(distinct apex_domain), 1)::integer),
        array_agg((extract(epoch from queried_at - first) * 1000000)::bigint
                  order by queried_at, id),
        array_agg(client_ip order by queried_at, id),
        array_agg(client_port order by queried_at, id),
        array_agg(domain order by queried_at, id),
        array_agg(apex_domain order by queried_at, id),
        array_agg(qtype order by queried_at, id),
        array_agg(flags order by queried_at, id),
        case when count(response_rcode) > 0 then array_agg(response_rcode order by queried_at, id) end,
        case when count(cached) > 0 then array_agg(cached order by queried_at, id) end,
        array_agg(qclass order by queried_at, id),
        case when count(view) > 0 then array_agg(view order by queried_at, id) end,
        array_agg(transport order by queried_at, id),
        array_agg(recursion_desired order by queried_at, id),
        array_agg(edns_version order by queried_at, id),
        array_agg(dnssec_ok order by queried_at, id),
        array_agg(checking_disabled order by queried_at, id),
        case when count(client_subnet) > 0 then array_agg(client_subnet order by queried_at, id) end,
        array_agg(server_ip order by queried_at, id),
        case when count(error_reason) > 0 then array_agg(error_reason order by queried_at, id) end,
        case when count(rcode_source) > 0 then array_agg(rcode_source order by queried_at, id) end,
        case when count(latency_us) > 0 then array_agg(latency_us order by queried_at, id) end,
        case when count(response_size) > 0 then array_agg(response_size order by queried_at, id) end,
        case when count(response_flags) > 0 then array_agg(response_flags order by queried_at, id) end,
        case when count(answer_count) > 0 then array_agg(answer_count order by queried_at, id) end
      from timed
      group by node_id, part_lo, origin, round, bucket, chunk
      returning n
    )
    select coalesce(sum(n), 0)::bigint from added$q$, src)
  into n using node;
  exception when check_violation then
    raise exception 'no partition holds some of these rows: the day partition does not exist (%)',
      sqlerrm using errcode = 'check_violation';
  end;
  return n;
end;
$$;

-- The filter stays in the block's heap row (storage main: compressed or moved out only when the
-- row cannot fit otherwise), so the check reads no TOAST. Set on the partitioned table, it is
-- set on each partition (SET STORAGE recurses) and on partitions made later.
alter table dns_query_blocks alter column apex_bloom set storage main;

-- lz4 for the filter and for `clients`, the one array the query-log ingest writes that was
-- still pglz (a bucket's block holds up to a quarter of the clients: several kB a block), on
-- the partitioned table and each day partition that exists (SET COMPRESSION does not recurse,
-- see 0036). A server built without lz4 (the embedded database) keeps pglz.
do $$
declare
  t regclass;
begin
  for t in
    select 'dns_query_blocks'::regclass
    union all
    select i.inhrelid::regclass from pg_inherits i
    where i.inhparent = 'dns_query_blocks'::regclass
  loop
    execute format('alter table %s alter column clients set compression lz4, '
      'alter column apex_bloom set compression lz4', t);
  end loop;
exception when feature_not_supported then
  null;
end
$$;
