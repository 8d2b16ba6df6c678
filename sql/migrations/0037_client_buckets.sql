-- 0037_client_buckets: blocks packed by client bucket, and at_us in lz4.
-- Purpose: a client's search and its drill-downs (a client's top domains, qtypes, rcodes)
--   read every block that holds the client, and each block of a busy resolver held most of
--   its clients: a week's drill-down read (and decompressed) the domain, time and rcode
--   arrays of every block of the week. Rows are now packed in four buckets by a hash of the
--   client address (PostgreSQL's hashinet here; the query-log ingest, lib/ingest/block_sink.ts,
--   hashes the address bytes itself: any hash serves, a client lands in one bucket of each
--   round), each bucket into blocks of up to 4,000 rows in time order, within rounds of
--   16,000 rows that keep the rows of one instant together: the blocks of a round lie within
--   its time, so rounds do not overlap (a stream, which sorts one group of overlapping blocks
--   at a time, sorts a round, not a whole day). A client's rows of a round are in one block of
--   four, and the GIN index of the blocks' `clients` summaries finds only those. Measured on
--   30 days x 1 M queries (2,000 clients): a client's top domains over 7 days p50/p95 174/283
--   -> 64-78/159-173 ms; figures of every search in lib/db/README.md. Blocks already stored
--   keep their rows; blocks packed from now on (live batches merged by dnsa_compact_blocks,
--   dnstap, the embedded database, seed conversion) are bucketed.
--   at_us moves to lz4 with it: in a bucket's block consecutive rows are further apart in
--   time, and pglz, which 0036 kept for at_us, compressed those offsets 2.4 times worse (1.56
--   against 0.65 bytes a query on 1 M synthetic lines) at twice its CPU in a backfill; lz4 is
--   2.2 bytes a query there and a drill-down reading it was no slower.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run.

-- Pack the rows of table `src` (dns_query_staged's columns; all of them, or those of node
-- `node` when given) into blocks of up to 4,000 of one node, day partition, origin, round of
-- 16,000 rows and client bucket, in time order, and delete them from `src`. Returns the rows
-- packed. A row whose time no partition covers fails the whole call (SQLSTATE 23514). As in
-- 0031, by round and bucket.
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
        name_bloom,
        at_us, client_ip, client_port, domain, apex_domain, qtype, flags, response_rcode,
        cached, qclass, view, transport, recursion_desired, edns_version, dnssec_ok,
        checking_disabled, client_subnet, server_ip, error_reason, rcode_source, latency_us,
        response_size, response_flags, answer_count)
      select node_id, min(queried_at), max(queried_at), count(*), origin,
        (select array_agg(distinct c) from unnest(array_agg(client_ip)) c),
        (select array_agg(distinct dnsa_name_hash(x)) from unnest(array_agg(apex_domain)) x
         where x is not null),
        dnsa_name_bloom(array_agg(distinct domain), count(*)::integer),
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

-- at_us in lz4, on the partitioned table and each day partition that exists (SET COMPRESSION
-- does not recurse, see 0036). A server built without lz4 (the embedded database) keeps pglz.
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
    execute format('alter table %s alter column at_us set compression lz4', t);
  end loop;
exception when feature_not_supported then
  null;
end
$$;
