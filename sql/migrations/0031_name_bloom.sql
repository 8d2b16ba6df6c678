-- 0031_name_bloom: a Bloom filter of each block's full query names (dns_query_blocks.name_bloom).
-- Purpose: a search for one exact name found its blocks by the apex hashes (names, GIN) and
--   then read the domain array of every such block: a rare name under a common apex
--   (x.google.com) read nearly every block, ~0.3 ms each. name_bloom says which blocks may
--   hold a name: one byte per query of the block (m = 8 × n bits), 5 bits per distinct name
--   at ((g1 + i × g2) mod 2^32) × m >> 32, i = 0..4, where g1 and g2 are the low and high
--   32 bits (g2 made odd) of hashtextextended(name, 0) (bit b is bit b % 8, least
--   significant first, of byte b / 8: what get_bit reads). With 8 bits or more per distinct name, a block without the
--   name passes at most ~2 % of the time (4,000 distinct names in 4,000 queries: 2.2 %). The
--   search checks the bits of a block before reading its domain array; NULL (blocks written
--   before this migration) means unknown: such a block is read as before. No index: the
--   filter is read from the block's heap row (storage main keeps it there: random bits do
--   not compress, and a main value stays inline up to a page), so an ingest pays only for
--   the bytes. Writers: lib/ingest/block_sink.ts (lib/ingest/name_bloom.ts computes the
--   server's hashtextextended in Deno) and dnsa_pack_rows, redefined here, for every other
--   (dnstap, the embedded database, the bus consumer, the seed conversion, compaction).
-- Parameters: none. Applied once by lib/db/migrate.ts; the functions are create or replace.

alter table dns_query_blocks add column name_bloom bytea;
alter table dns_query_blocks alter column name_bloom set storage main;
comment on column dns_query_blocks.name_bloom is
  'Bloom filter of the distinct full domains of the block (migration 0031; NULL = unknown, '
  'blocks written before it): n bytes, 5 bits a name by hashtextextended(name, 0)';

-- The name_bloom of a block of `n` queries whose distinct domains are `names` (NULLs are
-- left out): the bytes lib/ingest/name_bloom.ts builds. Procedural: plpgsql updates an
-- integer[] in place, where it would copy a bytea at each set_bit. NULL (unknown) on a server
-- whose hashtextextended differs from the one the search computes (a big-endian machine
-- reads the bytes in other words): such a block is read as if it had no filter.
create or replace function dnsa_name_bloom(names text[], n integer) returns bytea
language plpgsql immutable parallel safe as $$
declare
  m bigint := greatest(n, 1)::bigint * 8;
  v integer[] := array_fill(0, array[greatest(n, 1)]);
  d text;
  h bigint;
  g1 bigint;
  g2 bigint;
  p integer;
begin
  if hashtextextended('dns-analytics', 0) <> -3699894496865235252 then
    return null;
  end if;
  foreach d in array coalesce(names, '{}') loop
    continue when d is null;
    h := hashtextextended(d, 0);
    g1 := h & 4294967295;
    g2 := ((h >> 32) & 4294967295) | 1;
    for k in 0 .. 4 loop
      p := ((((g1 + k * g2) & 4294967295) * m) >> 32)::integer;
      v[(p >> 3) + 1] := v[(p >> 3) + 1] | (1 << (p & 7));
    end loop;
  end loop;
  return decode(array_to_string(array(select lpad(to_hex(x), 2, '0') from unnest(v) x), ''),
    'hex');
end;
$$;

-- Pack the rows of table `src` (dns_query_staged's columns; all of them, or those of node
-- `node` when given) into blocks of up to 4,000 of one node, day partition and origin, in
-- time order, and delete them from `src`. Returns the rows packed. A row whose time no
-- partition covers fails the whole call (SQLSTATE 23514, as an insert into the old table did).
-- As in 0027, with each block's name_bloom.
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
    placed as (
      select m.*, coalesce(p.lo, m.queried_at) as part_lo,
        (row_number() over (partition by m.node_id, p.lo, m.origin
                            order by m.queried_at, m.id) - 1) / 4000 as chunk
      from moved m
      left join dnsa_partition_bounds() p on m.queried_at >= p.lo and m.queried_at < p.hi
    ),
    timed as (
      select p.*, min(p.queried_at) over (partition by p.node_id, p.part_lo, p.origin, p.chunk)
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
      group by node_id, part_lo, origin, chunk
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
