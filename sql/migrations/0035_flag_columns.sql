-- 0035_flag_columns: transport, recursion_desired, edns_version, dnssec_ok and
--   checking_disabled read from a query's flags where a block does not store them.
-- Purpose: BIND's flag string says all five (`+`/`-` is RD, `E(n)` the EDNS version, `T`
--   TCP, `D` DO, `C` CD), so storing them again costs without informing. Blocks written by the
--   query-log ingest from now on leave the five arrays NULL (a NULL `transport` array is the
--   mark), and every reader derives them from `flags` with the functions below, as the
--   parser did (lib/parse/bind_query.ts decodeQueryFlags): NULL flags give NULL for all five;
--   `E` without a version is version 0. Measured on 1 M query lines (two cores): the server's
--   COPY and compression and the client's encoding of the five arrays were 0.3 s of CPU of
--   2.6 (wall 1.60 → 1.45 s). Blocks written before, and blocks packed from staged rows
--   (dnstap, the embedded database, the seed conversion, rows inserted into the view), keep
--   their arrays and read as before.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run (create or replace).

create or replace function dnsa_flags_transport(flags text) returns text
language sql immutable parallel safe as $$
  select case when flags is null then null when strpos(flags, 'T') > 0 then 'tcp' else 'udp' end
$$;

create or replace function dnsa_flags_rd(flags text) returns boolean
language sql immutable parallel safe as $$
  select left(flags, 1) = '+'
$$;

create or replace function dnsa_flags_edns(flags text) returns smallint
language sql immutable parallel safe as $$
  select case
    when flags is null or strpos(flags, 'E') = 0 then null
    when substr(flags, strpos(flags, 'E') + 1, 1) = '('
      then split_part(substr(flags, strpos(flags, 'E') + 2), ')', 1)::smallint
    else 0::smallint
  end
$$;

create or replace function dnsa_flags_do(flags text) returns boolean
language sql immutable parallel safe as $$
  select strpos(flags, 'D') > 0
$$;

create or replace function dnsa_flags_cd(flags text) returns boolean
language sql immutable parallel safe as $$
  select strpos(flags, 'C') > 0
$$;

comment on column dns_query_blocks.transport is
  'NULL: this block''s transport, recursion_desired, edns_version, dnssec_ok and '
  'checking_disabled are those its flags say (dnsa_flags_*)';

create or replace view dns_queries as
select b.first_at + u.at_us * interval '1 microsecond' as queried_at,
  u.client_ip, u.client_port, u.domain, u.apex_domain, u.qtype, u.flags,
  case when o.idx is null then u.response_rcode else o.response_rcode end as response_rcode,
  u.cached, b.node_id, u.qclass, u.view,
  case when b.transport is null then dnsa_flags_transport(u.flags) else u.transport end
    as transport,
  case when b.transport is null then dnsa_flags_rd(u.flags) else u.recursion_desired end
    as recursion_desired,
  case when b.transport is null then dnsa_flags_edns(u.flags) else u.edns_version end
    as edns_version,
  case when b.transport is null then dnsa_flags_do(u.flags) else u.dnssec_ok end
    as dnssec_ok,
  case when b.transport is null then dnsa_flags_cd(u.flags) else u.checking_disabled end
    as checking_disabled,
  u.client_subnet, u.server_ip,
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
