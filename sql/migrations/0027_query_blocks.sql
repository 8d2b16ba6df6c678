-- 0027_query_blocks: queries stored in blocks of up to 4,000 per row; dns_queries is a view.
-- Purpose: a heap row costs 28 bytes before any data, and each query was a row of its own.
--   Now dns_query_blocks holds one row per block of one node, one day partition and one
--   origin: the block's span (first_at, last_at), its count, small summaries for searches
--   (clients: its distinct addresses; names: hashes of its distinct apex domains) and one
--   array column per column of the old table, compressed (pglz) in
--   TOAST. The view dns_queries unnests the blocks (one multi-argument unnest) under the old
--   names in the old order, with block_id, idx, block_first_at, block_last_at, block_clients
--   and block_names after them: a reader that adds `block_last_at >= lo and block_first_at <
--   hi` to its time condition (or `block_clients @> array[ip]`, `block_names @>
--   array[dnsa_name_hash(apex)]`) skips whole blocks before they are unnested. What a query-errors or response line says of a query joined later goes
--   to the overlay dns_query_outcomes (block_id, idx): a block is never rewritten for it.
--   Rows that arrive one by one (an INSERT into the view, the embedded database's and dnstap's
--   batches, the seed conversion) go through dns_query_staged, which the view also shows, and
--   are packed into blocks by dnsa_pack_rows (in the writer's transaction, or by the next
--   rollup or retention). Day partitions keep their names (dns_queries_pYYYYMMDD…) as views of
--   their day; their blocks and outcomes are dns_query_blocks_p… and dns_query_outcomes_p….
--   Existing rows are converted here.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.

alter table dns_queries rename to dns_queries_old;
alter index if exists dns_queries_queried_at_brin rename to dns_queries_old_brin;

create sequence dns_query_blocks_id;

create table dns_query_blocks (
  block_id           bigint not null default nextval('dns_query_blocks_id'),
  node_id            integer not null,
  first_at           timestamptz not null,
  last_at            timestamptz not null,
  n                  integer not null,
  origin             text,
  clients            inet[],
  names              integer[],
  at_us              bigint[] not null,
  client_ip          inet[] not null,
  client_port        integer[],
  domain             text[],
  apex_domain        text[],
  qtype              text[],
  flags              text[],
  response_rcode     text[],
  cached             boolean[],
  qclass             text[],
  view               text[],
  transport          text[],
  recursion_desired  boolean[],
  edns_version       smallint[],
  dnssec_ok          boolean[],
  checking_disabled  boolean[],
  client_subnet      inet[],
  server_ip          inet[],
  error_reason       text[],
  rcode_source       text[],
  latency_us         integer[],
  response_size      integer[],
  response_flags     text[],
  answer_count       smallint[]
) partition by range (first_at);

comment on table dns_query_blocks is
  'queries in blocks (one node, one day partition, one origin); read them through dns_queries';
comment on column dns_query_blocks.at_us is
  'each query''s queried_at as microseconds after first_at';
comment on column dns_query_blocks.clients is 'the distinct client addresses of the block';
comment on column dns_query_blocks.names is
  'dnsa_name_hash of the distinct apex domains of the block (a search by name or suffix '
  'reads only the blocks that hold its apex)';

-- Every array compressed with pglz, whatever default_toast_compression says: on the fixture
-- pglz took 77 bytes a query of the whole database and lz4 85 (lz4 compresses faster).
do $$
declare
  c text;
begin
  for c in
    select attname from pg_attribute
    where attrelid = 'dns_query_blocks'::regclass and attnum > 0 and not attisdropped
      and atttypid in (select oid from pg_type where typcategory = 'A')
  loop
    execute format('alter table dns_query_blocks alter column %I set compression pglz', c);
  end loop;
end
$$;

create index dns_query_blocks_span on dns_query_blocks (node_id, first_at, last_at);
create index dns_query_blocks_block_id on dns_query_blocks (block_id);
create index dns_query_blocks_clients on dns_query_blocks using gin (clients);
create index dns_query_blocks_names on dns_query_blocks using gin (names);

-- The current rcode, reason and source of queries in blocks joined to a line after the block
-- was written (NULL columns mean NULL, not "the block's").
create table dns_query_outcomes (
  first_at        timestamptz not null,
  block_id        bigint not null,
  idx             bigint not null,
  response_rcode  text,
  error_reason    text,
  rcode_source    text,
  primary key (first_at, block_id, idx)
) partition by range (first_at);

-- Rows not in a block yet (see dnsa_pack_rows); id numbers them while they wait. from_block
-- and from_idx say where a row taken out of a block came from (see the view's delete).
create table dns_query_staged (
  queried_at         timestamptz not null,
  client_ip          inet not null,
  client_port        integer,
  domain             text,
  apex_domain        text,
  qtype              text,
  flags              text,
  response_rcode     text,
  cached             boolean,
  node_id            integer not null,
  qclass             text,
  view               text,
  transport          text,
  recursion_desired  boolean,
  edns_version       smallint,
  dnssec_ok          boolean,
  checking_disabled  boolean,
  client_subnet      inet,
  server_ip          inet,
  error_reason       text,
  rcode_source       text,
  latency_us         integer,
  response_size      integer,
  response_flags     text,
  answer_count       smallint,
  origin             text,
  id                 bigserial primary key,
  from_block         bigint,
  from_idx           bigint
);
create index dns_query_staged_from on dns_query_staged (from_block, from_idx)
  where from_block is not null;

-- The hash of a name in dns_query_blocks.names (the search's block filter): 32-bit FNV-1a of
-- its UTF-8 bytes as a signed integer, as lib/ingest/block_sink.ts computes it; NULL for NULL.
create function dnsa_name_hash(name text) returns integer
language plpgsql immutable parallel safe strict as $$
declare
  b bytea := convert_to(name, 'UTF8');
  h bigint := 2166136261;
begin
  for i in 0 .. length(b) - 1 loop
    h := ((h # get_byte(b, i)) * 16777619) % 4294967296;
  end loop;
  return (case when h >= 2147483648 then h - 4294967296 else h end)::integer;
end;
$$;

create view dns_queries as
select b.first_at + u.at_us * interval '1 microsecond' as queried_at,
  u.client_ip, u.client_port, u.domain, u.apex_domain, u.qtype, u.flags,
  case when o.idx is null then u.response_rcode else o.response_rcode end as response_rcode,
  u.cached, b.node_id, u.qclass, u.view, u.transport, u.recursion_desired, u.edns_version,
  u.dnssec_ok, u.checking_disabled, u.client_subnet, u.server_ip,
  case when o.idx is null then u.error_reason else o.error_reason end as error_reason,
  case when o.idx is null then u.rcode_source else o.rcode_source end as rcode_source,
  u.latency_us, u.response_size, u.response_flags, u.answer_count, b.origin,
  b.block_id, u.idx, b.first_at as block_first_at, b.last_at as block_last_at,
  b.clients as block_clients, b.names as block_names
from dns_query_blocks b
cross join lateral unnest(b.at_us, b.client_ip, b.client_port, b.domain, b.apex_domain,
  b.qtype, b.flags, b.response_rcode, b.cached, b.qclass, b.view, b.transport,
  b.recursion_desired, b.edns_version, b.dnssec_ok, b.checking_disabled, b.client_subnet,
  b.server_ip, b.error_reason, b.rcode_source, b.latency_us, b.response_size,
  b.response_flags, b.answer_count) with ordinality
  as u(at_us, client_ip, client_port, domain, apex_domain, qtype, flags, response_rcode,
    cached, qclass, view, transport, recursion_desired, edns_version, dnssec_ok,
    checking_disabled, client_subnet, server_ip, error_reason, rcode_source, latency_us,
    response_size, response_flags, answer_count, idx)
left join dns_query_outcomes o
  on o.first_at = b.first_at and o.block_id = b.block_id and o.idx = u.idx
union all
select s.queried_at, s.client_ip, s.client_port, s.domain, s.apex_domain, s.qtype, s.flags,
  s.response_rcode, s.cached, s.node_id, s.qclass, s.view, s.transport, s.recursion_desired,
  s.edns_version, s.dnssec_ok, s.checking_disabled, s.client_subnet, s.server_ip,
  s.error_reason, s.rcode_source, s.latency_us, s.response_size, s.response_flags,
  s.answer_count, s.origin, null::bigint, s.id, s.queried_at, s.queried_at,
  array[s.client_ip], array[dnsa_name_hash(s.apex_domain)]
from dns_query_staged s;

comment on view dns_queries is
  'one row per client query (the blocks unnested, with their outcomes, and the staged rows)';

-- Pack the rows of table `src` (dns_query_staged's columns; all of them, or those of node
-- `node` when given) into blocks of up to 4,000 of one node, day partition and origin, in
-- time order, and delete them from `src`. Returns the rows packed. A row whose time no
-- partition covers fails the whole call (SQLSTATE 23514, as an insert into the old table did).
create function dnsa_pack_rows(src regclass, node integer default null) returns bigint
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
        at_us, client_ip, client_port, domain, apex_domain, qtype, flags, response_rcode,
        cached, qclass, view, transport, recursion_desired, edns_version, dnssec_ok,
        checking_disabled, client_subnet, server_ip, error_reason, rcode_source, latency_us,
        response_size, response_flags, answer_count)
      select node_id, min(queried_at), max(queried_at), count(*), origin,
        (select array_agg(distinct c) from unnest(array_agg(client_ip)) c),
        (select array_agg(distinct dnsa_name_hash(x)) from unnest(array_agg(apex_domain)) x
         where x is not null),
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

-- An INSERT into the view stages the row (packed by the writer, rollup or retention).
create function dnsa_queries_insert() returns trigger
language plpgsql as $$
begin
  insert into dns_query_staged (queried_at, client_ip, client_port, domain, apex_domain, qtype,
    flags, response_rcode, cached, node_id, qclass, view, transport, recursion_desired,
    edns_version, dnssec_ok, checking_disabled, client_subnet, server_ip, error_reason,
    rcode_source, latency_us, response_size, response_flags, answer_count, origin)
  values (new.queried_at, new.client_ip, new.client_port, new.domain, new.apex_domain,
    new.qtype, new.flags, new.response_rcode, new.cached, new.node_id, new.qclass, new.view,
    new.transport, new.recursion_desired, new.edns_version, new.dnssec_ok,
    new.checking_disabled, new.client_subnet, new.server_ip, new.error_reason,
    new.rcode_source, new.latency_us, new.response_size, new.response_flags,
    new.answer_count, new.origin);
  return new;
end;
$$;

-- Take block `blk` apart: its rows (with their outcomes) become staged rows that remember
-- where they came from, and the block and its outcomes go. Returns false when it is gone.
create function dnsa_unpack_block(blk bigint) returns boolean
language plpgsql as $$
declare
  lo timestamptz;
begin
  select first_at into lo from dns_query_blocks where block_id = blk;
  if not found then
    return false;
  end if;
  insert into dns_query_staged (queried_at, client_ip, client_port, domain, apex_domain, qtype,
    flags, response_rcode, cached, node_id, qclass, view, transport, recursion_desired,
    edns_version, dnssec_ok, checking_disabled, client_subnet, server_ip, error_reason,
    rcode_source, latency_us, response_size, response_flags, answer_count, origin,
    from_block, from_idx)
  select queried_at, client_ip, client_port, domain, apex_domain, qtype, flags,
    response_rcode, cached, node_id, qclass, view, transport, recursion_desired, edns_version,
    dnssec_ok, checking_disabled, client_subnet, server_ip, error_reason, rcode_source,
    latency_us, response_size, response_flags, answer_count, origin, block_id, idx
  from dns_queries where block_id = blk and block_first_at = lo;
  delete from dns_query_outcomes where first_at = lo and block_id = blk;
  delete from dns_query_blocks where first_at = lo and block_id = blk;
  return true;
end;
$$;

-- Merge the small blocks (fewer than `min_rows` queries, ended before `before`) of each node
-- that has two or more: live ingest commits small batches, and a block of a few queries has
-- arrays too short to compress. Each node's blocks are taken apart and packed again under the
-- node's write lock (the one a batch's commit holds while it joins lines to queries), so no
-- commit of the node names a block that goes meanwhile. Returns the blocks taken apart.
create function dnsa_compact_blocks(min_rows integer, before timestamptz) returns bigint
language plpgsql as $$
declare
  nd integer;
  blk bigint;
  total bigint := 0;
begin
  for nd in
    select b.node_id from dns_query_blocks b
    where b.n < min_rows and b.last_at < before
    group by b.node_id having count(*) > 1
  loop
    perform pg_advisory_xact_lock(424312, nd);
    for blk in
      select b.block_id from dns_query_blocks b
      where b.node_id = nd and b.n < min_rows and b.last_at < before
    loop
      if dnsa_unpack_block(blk) then
        total := total + 1;
      end if;
    end loop;
    perform dnsa_pack_rows('dns_query_staged'::regclass, nd);
  end loop;
  return total;
end;
$$;

-- An UPDATE of the view: a staged row is updated in place; a row in a block is staged first
-- (the block is taken apart, see dnsa_unpack_block) and then updated.
create function dnsa_queries_update() returns trigger
language plpgsql as $$
declare
  sid bigint;
begin
  if old.block_id is null then
    sid := old.idx;
  else
    perform dnsa_unpack_block(old.block_id);
    select id into sid from dns_query_staged
    where from_block = old.block_id and from_idx = old.idx;
  end if;
  update dns_query_staged set queried_at = new.queried_at, client_ip = new.client_ip,
    client_port = new.client_port, domain = new.domain, apex_domain = new.apex_domain,
    qtype = new.qtype, flags = new.flags, response_rcode = new.response_rcode,
    cached = new.cached, node_id = new.node_id, qclass = new.qclass, view = new.view,
    transport = new.transport, recursion_desired = new.recursion_desired,
    edns_version = new.edns_version, dnssec_ok = new.dnssec_ok,
    checking_disabled = new.checking_disabled, client_subnet = new.client_subnet,
    server_ip = new.server_ip, error_reason = new.error_reason,
    rcode_source = new.rcode_source, latency_us = new.latency_us,
    response_size = new.response_size, response_flags = new.response_flags,
    answer_count = new.answer_count, origin = new.origin
  where id = sid;
  return new;
end;
$$;

-- A DELETE from the view: as an update, then the staged row goes.
create function dnsa_queries_delete() returns trigger
language plpgsql as $$
begin
  if old.block_id is null then
    delete from dns_query_staged where id = old.idx;
  else
    perform dnsa_unpack_block(old.block_id);
    delete from dns_query_staged where from_block = old.block_id and from_idx = old.idx;
  end if;
  return old;
end;
$$;

create trigger dns_queries_insert instead of insert on dns_queries
  for each row execute function dnsa_queries_insert();
create trigger dns_queries_update instead of update on dns_queries
  for each row execute function dnsa_queries_update();
create trigger dns_queries_delete instead of delete on dns_queries
  for each row execute function dnsa_queries_delete();

-- Every day partition with its bounds, under the day's name (dns_queries_p…): the partitions
-- of dns_query_blocks. Read-only; safe to call any time.
create or replace function dnsa_partition_bounds()
returns table (name text, lo timestamptz, hi timestamptz)
language sql stable as $$
  select 'dns_queries_p' || substr(c.relname::text, 19), m[1]::timestamptz, m[2]::timestamptz
  from pg_inherits i
  join pg_class c on c.oid = i.inhrelid
  cross join lateral regexp_match(
    pg_get_expr(c.relpartbound, c.oid),
    '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$') as m
  where i.inhparent = 'dns_query_blocks'::regclass
$$;

-- One day partition [lo, hi) named after its day `base` (see 0026): the blocks'
-- (dns_query_blocks_p…), the outcomes' (dns_query_outcomes_p…) and a view of its queries
-- under the day's name (dns_queries_p…); none readable by the reader role (0022).
create or replace function dnsa_create_partition(
  base text, lo timestamptz, hi timestamptz, day_lo timestamptz, day_hi timestamptz)
returns void
language plpgsql as $$
declare
  part text := base;
  suffix text;
begin
  if lo <> day_lo or hi <> day_hi
     or exists (select from dnsa_partition_bounds() b where b.name = base) then
    part := format('%s_%s', base, to_char(lo at time zone 'UTC', 'YYYYMMDD"t"HH24MISS"z"'));
  end if;
  suffix := substr(part, 14);
  execute format(
    'create table if not exists %I partition of dns_query_blocks for values from (%L) to (%L)',
    'dns_query_blocks_p' || suffix, lo, hi);
  execute format(
    'create table if not exists %I partition of dns_query_outcomes for values from (%L) to (%L)',
    'dns_query_outcomes_p' || suffix, lo, hi);
  execute format(
    'create or replace view %I as select * from dns_queries '
    'where block_first_at >= %L and block_first_at < %L', part, lo, hi);
  perform dnsa_restrict_raw(('dns_query_blocks_p' || suffix)::regclass);
  perform dnsa_restrict_raw(('dns_query_outcomes_p' || suffix)::regclass);
  perform dnsa_restrict_raw(part::regclass);
end;
$$;

-- Drop one day partition (by its day name, any zone's): its blocks, outcomes and view, the
-- staged rows of its span and the rollup marks of its span; record every day of zone `tz` it
-- held rows of as dropped. Safe to re-run: a partition already gone is left alone.
create or replace function dnsa_drop_partition(part text, tz text) returns void
language plpgsql as $$
declare
  b record;
  suffix text := substr(part, 14);
begin
  if part !~ '^dns_queries_p[0-9]{8}(_[0-9]{8}t[0-9]{6}z)?$' then
    raise exception 'not a day partition of dns_queries: %', part;
  end if;
  select * into b from dnsa_partition_bounds() x where x.name = part;
  if not found then
    return;
  end if;
  execute format('drop view if exists %I', part);
  execute format('drop table %I', 'dns_query_outcomes_p' || suffix);
  execute format('drop table %I', 'dns_query_blocks_p' || suffix);
  delete from dns_query_staged where queried_at >= b.lo and queried_at < b.hi;
  delete from rollup_dirty where stat_hour >= b.lo and stat_hour < b.hi;
  insert into raw_days_dropped (stat_date)
  select d::date from generate_series(
    (b.lo at time zone tz)::date::timestamp,
    ((b.hi - interval '1 microsecond') at time zone tz)::date::timestamp,
    interval '1 day') as d
  on conflict (stat_date) do nothing;
end;
$$;

-- Rewrite the client addresses of day partition `part` ([lo, hi)) in mode 'truncate' (p4/p6
-- bits) or 'hash' (the temporary table privacy_map(address, pseudonym) the caller filled):
-- each block's client_ip, client_subnet and clients arrays, and the day's staged rows and
-- query-errors lines. Returns the queries rewritten. The caller holds the partition lock.
create or replace function dnsa_privacy_rewrite_day(
  part text, lo timestamptz, hi timestamptz, mode text, p4 integer, p6 integer
) returns bigint
language plpgsql as $$
declare
  blocks text := 'dns_query_blocks_p' || substr(part, 14);
  expr text;
  subnet_expr text;
  n bigint;
begin
  if mode = 'truncate' then
    expr := format('dnsa_privacy_truncate(a, %s, %s)', p4, p6);
    subnet_expr := format(
      'network(set_masklen(a, least(masklen(a), '
      'case when family(a) = 4 then %s else %s end)))::inet', p4, p6);
  elsif mode = 'hash' then
    expr := 'coalesce((select m.pseudonym from privacy_map m where m.address = a), a)';
    subnet_expr := 'null::inet';
  else
    raise exception 'dnsa_privacy_rewrite_day: unknown mode %', mode;
  end if;
  perform dnsa_pack_rows('dns_query_staged'::regclass);
  execute format($q$
    update %I b set
      client_ip = (select array_agg(%s order by o) from unnest(b.client_ip)
                   with ordinality as t(a, o)),
      client_subnet = case when b.client_subnet is null then null else
        (select array_agg(case when a is null then null else %s end order by o)
         from unnest(b.client_subnet) with ordinality as t(a, o)) end,
      clients = (select array_agg(distinct %s) from unnest(b.clients) as t(a))$q$,
    blocks, expr, subnet_expr, expr);
  select coalesce(sum(x.n), 0) into n from dns_query_blocks x
  where x.first_at >= lo and x.first_at < hi;
  if mode = 'truncate' then
    update dns_query_errors set client_ip = dnsa_privacy_truncate(client_ip, p4, p6)
    where logged_at >= lo and logged_at < hi
      and client_ip <> dnsa_privacy_truncate(client_ip, p4, p6);
  else
    update dns_query_errors e set client_ip = m.pseudonym
    from privacy_map m
    where m.address = e.client_ip and e.logged_at >= lo and e.logged_at < hi;
  end if;
  return n;
end;
$$;

-- The rows a rollup window counts (0008), with the blocks of the window found by their span
-- before any is unnested.
create or replace function dnsa_window_rows(p_node integer, p_lo timestamptz, p_hi timestamptz)
returns table (
  apex_domain text,
  domain text,
  qtype text,
  client_ip inet,
  at timestamptz,
  rc smallint,
  latency_us integer
)
language sql stable parallel safe as $$
  select q.apex_domain, q.domain, q.qtype, q.client_ip, q.queried_at,
    (case when q.response_rcode is null then 5 when q.response_rcode = 'NOERROR' then 0
      when q.response_rcode = 'NXDOMAIN' then 1 when q.response_rcode = 'SERVFAIL' then 2
      when q.response_rcode = 'REFUSED' then 3 else 4 end)::smallint,
    q.latency_us
  from dns_queries q
  where q.node_id = p_node and q.queried_at >= p_lo and q.queried_at < p_hi
    and q.block_last_at >= p_lo and q.block_first_at < p_hi
  union all
  select e.apex_domain, e.domain, e.qtype, e.client_ip, e.logged_at,
    (case when e.response_rcode is null then 5 when e.response_rcode = 'NOERROR' then 0
      when e.response_rcode = 'NXDOMAIN' then 1 when e.response_rcode = 'SERVFAIL' then 2
      when e.response_rcode = 'REFUSED' then 3 else 4 end)::smallint,
    null::integer
  from dns_query_errors e
  where e.node_id = p_node and e.logged_at >= p_lo and e.logged_at < p_hi
    and e.matched_query_at is null and e.kind in ('failed', 'response')
$$;

-- Convert: a partition per old partition (same bounds, same name), the old rows packed into
-- blocks, the old table dropped.
do $$
declare
  p record;
begin
  for p in
    select c.relname::text as name, m[1]::timestamptz as lo, m[2]::timestamptz as hi
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    cross join lateral regexp_match(
      pg_get_expr(c.relpartbound, c.oid),
      '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$') as m
    where i.inhparent = 'dns_queries_old'::regclass
    order by 2
  loop
    execute format('alter table %I rename to %I', p.name, p.name || '_old');
    perform dnsa_create_partition(p.name, p.lo, p.hi, p.lo, p.hi);
  end loop;
end
$$;

insert into dns_query_staged (queried_at, client_ip, client_port, domain, apex_domain, qtype,
  flags, response_rcode, cached, node_id, qclass, view, transport, recursion_desired,
  edns_version, dnssec_ok, checking_disabled, client_subnet, server_ip, error_reason,
  rcode_source, latency_us, response_size, response_flags, answer_count, origin)
select queried_at, client_ip, client_port, domain, apex_domain, qtype, flags, response_rcode,
  cached, node_id, qclass, view, transport, recursion_desired, edns_version, dnssec_ok,
  checking_disabled, client_subnet, server_ip, error_reason, rcode_source, latency_us,
  response_size, response_flags, answer_count, origin
from dns_queries_old;
select dnsa_pack_rows('dns_query_staged'::regclass);
drop table dns_queries_old;

do $$
declare
  t regclass;
begin
  for t in
    select c.oid::regclass from pg_class c
    where c.relname in ('dns_queries', 'dns_query_blocks', 'dns_query_outcomes',
                        'dns_query_staged')
      and c.relnamespace = (select oid from pg_namespace where nspname = current_schema())
  loop
    perform dnsa_restrict_raw(t);
  end loop;
end
$$;
