-- page_rows: the rows of dns_queries a page's first phase found (lib/search/page_walk.ts), read
--   by their (block, index) with every column, plus the staged rows (not in a block yet).
--   Each block's arrays are read once (`|| '{}'` gives a detoasted copy that the subscripts
--   below share), so a row costs a few array subscripts, not the unnest of its whole block.
-- Columns: those of the view dns_queries that sql/search/query_rows.sql reads.
-- Parameters: the caller replaces the keys marker with three positional parameters, block ids
--   (int8[]), each block's first_at as microseconds after the epoch (int8[]) and the row's
--   index in its block (int8[], 1-based, as the view's idx), one entry per row, and the span
--   marker with `and ...` bounds on b.first_at (partition pruning). Read-only.
(
  select b.first_at + b.at_us[k.idx] * interval '1 microsecond' as queried_at,
    b.client_ip[k.idx] as client_ip, b.client_port[k.idx] as client_port,
    b.domain[k.idx] as domain, b.apex_domain[k.idx] as apex_domain, b.qtype[k.idx] as qtype,
    b.flags[k.idx] as flags,
    case when o.idx is null then b.response_rcode[k.idx] else o.response_rcode end
      as response_rcode,
    b.cached[k.idx] as cached, b.node_id, b.qclass[k.idx] as qclass, b.view[k.idx] as view,
    -- A block whose transport array is NULL leaves these five to its flags (migration 0035).
    case when b.flags_derived then dnsa_flags_transport(b.flags[k.idx])
      else b.transport[k.idx] end as transport,
    case when b.flags_derived then dnsa_flags_rd(b.flags[k.idx])
      else b.recursion_desired[k.idx] end as recursion_desired,
    case when b.flags_derived then dnsa_flags_edns(b.flags[k.idx])
      else b.edns_version[k.idx] end as edns_version,
    case when b.flags_derived then dnsa_flags_do(b.flags[k.idx])
      else b.dnssec_ok[k.idx] end as dnssec_ok,
    case when b.flags_derived then dnsa_flags_cd(b.flags[k.idx])
      else b.checking_disabled[k.idx] end as checking_disabled,
    b.client_subnet[k.idx] as client_subnet, b.server_ip[k.idx] as server_ip,
    case when o.idx is null then b.error_reason[k.idx] else o.error_reason end as error_reason,
    case when o.idx is null then b.rcode_source[k.idx] else o.rcode_source end as rcode_source,
    b.latency_us[k.idx] as latency_us, b.response_size[k.idx] as response_size,
    b.response_flags[k.idx] as response_flags, b.answer_count[k.idx] as answer_count
  from (
    -- offset 0: each block's copies are made once, here, and the rows below subscript them.
    select b.block_id, b.first_at, b.node_id, k.idxs, b.transport is null as flags_derived,
      b.at_us || '{}'::bigint[] as at_us, b.client_ip || '{}'::inet[] as client_ip,
      b.client_port || '{}'::integer[] as client_port, b.domain || '{}'::text[] as domain,
      b.apex_domain || '{}'::text[] as apex_domain, b.qtype || '{}'::text[] as qtype,
      b.flags || '{}'::text[] as flags, b.response_rcode || '{}'::text[] as response_rcode,
      b.cached || '{}'::boolean[] as cached, b.qclass || '{}'::text[] as qclass,
      b.view || '{}'::text[] as view, b.transport || '{}'::text[] as transport,
      b.recursion_desired || '{}'::boolean[] as recursion_desired,
      b.edns_version || '{}'::smallint[] as edns_version,
      b.dnssec_ok || '{}'::boolean[] as dnssec_ok,
      b.checking_disabled || '{}'::boolean[] as checking_disabled,
      b.client_subnet || '{}'::inet[] as client_subnet, b.server_ip || '{}'::inet[] as server_ip,
      b.error_reason || '{}'::text[] as error_reason,
      b.rcode_source || '{}'::text[] as rcode_source,
      b.latency_us || '{}'::integer[] as latency_us,
      b.response_size || '{}'::integer[] as response_size,
      b.response_flags || '{}'::text[] as response_flags,
      b.answer_count || '{}'::smallint[] as answer_count
    from (
      select k.block_id, timestamptz 'epoch' + k.first_us * interval '1 microsecond' as first_at,
        array_agg(k.idx) as idxs
      from unnest(/*keys*/) as k(block_id, first_us, idx)
      group by 1, 2
    ) k
    join dns_query_blocks b on b.block_id = k.block_id and b.first_at = k.first_at
    where true /*span*/
    offset 0
  ) b
  cross join lateral unnest(b.idxs) as k(idx)
  left join dns_query_outcomes o
    on o.first_at = b.first_at and o.block_id = b.block_id and o.idx = k.idx
  union all
  select s.queried_at, s.client_ip, s.client_port, s.domain, s.apex_domain, s.qtype, s.flags,
    s.response_rcode, s.cached, s.node_id, s.qclass, s.view, s.transport, s.recursion_desired,
    s.edns_version, s.dnssec_ok, s.checking_disabled, s.client_subnet, s.server_ip,
    s.error_reason, s.rcode_source, s.latency_us, s.response_size, s.response_flags,
    s.answer_count
  from dns_query_staged s
)
