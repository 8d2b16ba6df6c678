-- 0030_window_rows_narrow: the rollup reads only the block arrays it counts.
-- Purpose: dnsa_window_rows (0027) read the window through the view dns_queries, whose one
--   unnest decompresses all 24 arrays of every block; the rollup counts seven. Now it unnests
--   at_us, client_ip, domain, apex_domain, qtype, response_rcode and latency_us of the blocks
--   that overlap the window (a block lies within one day partition, at most 25 hours, so its
--   first_at bound also skips the partitions before the window), applies the outcomes overlay
--   and adds the staged rows and the orphan query-errors lines, as before. Same rows, same
--   columns.
-- Parameters: none. Applied once by lib/db/migrate.ts; safe to re-run (create or replace).

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
  select r.apex_domain, r.domain, r.qtype, r.client_ip, r.at,
    (case when r.rcode is null then 5 when r.rcode = 'NOERROR' then 0
      when r.rcode = 'NXDOMAIN' then 1 when r.rcode = 'SERVFAIL' then 2
      when r.rcode = 'REFUSED' then 3 else 4 end)::smallint,
    r.latency_us
  from (
    select u.apex_domain, u.domain, u.qtype, u.client_ip,
      b.first_at + u.at_us * interval '1 microsecond' as at,
      case when o.idx is null then u.response_rcode else o.response_rcode end as rcode,
      u.latency_us
    from dns_query_blocks b
    cross join lateral unnest(b.at_us, b.client_ip, b.domain, b.apex_domain, b.qtype,
      b.response_rcode, b.latency_us) with ordinality
      as u(at_us, client_ip, domain, apex_domain, qtype, response_rcode, latency_us, idx)
    left join dns_query_outcomes o
      on o.first_at = b.first_at and o.block_id = b.block_id and o.idx = u.idx
    where b.node_id = p_node and b.first_at < p_hi and b.last_at >= p_lo
      and b.first_at > p_lo - interval '26 hours'
      and b.first_at + u.at_us * interval '1 microsecond' >= p_lo
      and b.first_at + u.at_us * interval '1 microsecond' < p_hi
    union all
    select s.apex_domain, s.domain, s.qtype, s.client_ip, s.queried_at, s.response_rcode,
      s.latency_us
    from dns_query_staged s
    where s.node_id = p_node and s.queried_at >= p_lo and s.queried_at < p_hi
    union all
    select e.apex_domain, e.domain, e.qtype, e.client_ip, e.logged_at, e.response_rcode,
      null::integer
    from dns_query_errors e
    where e.node_id = p_node and e.logged_at >= p_lo and e.logged_at < p_hi
      and e.matched_query_at is null and e.kind in ('failed', 'response')
  ) r
$$;

-- The distinct clients of a rollup window: a block wholly inside the window gives its
-- summary (dns_query_blocks.clients), a block across an edge the addresses of its queries
-- inside the window; then the staged rows and the orphan query-errors lines.
-- Read-only; safe to call any time.
create or replace function dnsa_window_clients(p_node integer, p_lo timestamptz,
  p_hi timestamptz)
returns table (client_ip inet)
language sql stable parallel safe as $$
  select distinct c.client_ip from (
    select u.client_ip
    from dns_query_blocks b
    cross join lateral unnest(b.clients) as u(client_ip)
    where b.node_id = p_node and b.first_at >= p_lo and b.last_at < p_hi
    union all
    select u.client_ip
    from dns_query_blocks b
    cross join lateral unnest(b.at_us, b.client_ip) as u(at_us, client_ip)
    where b.node_id = p_node and b.first_at < p_hi and b.last_at >= p_lo
      and b.first_at > p_lo - interval '26 hours'
      and not (b.first_at >= p_lo and b.last_at < p_hi)
      and b.first_at + u.at_us * interval '1 microsecond' >= p_lo
      and b.first_at + u.at_us * interval '1 microsecond' < p_hi
    union all
    select s.client_ip
    from dns_query_staged s
    where s.node_id = p_node and s.queried_at >= p_lo and s.queried_at < p_hi
    union all
    select e.client_ip
    from dns_query_errors e
    where e.node_id = p_node and e.logged_at >= p_lo and e.logged_at < p_hi
      and e.matched_query_at is null and e.kind in ('failed', 'response')
  ) c
$$;
