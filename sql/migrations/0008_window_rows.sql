-- 0008_window_rows: the rows a rollup window counts, defined once.
-- Purpose: dnsa_window_rows(node_id, start, end) returns the window's raw queries plus its
--   orphan query-errors lines (a failed or response line joined to no query is a failed query
--   of its own), with the rcode as a small number: 0 NOERROR, 1 NXDOMAIN, 2 SERVFAIL,
--   3 REFUSED, 4 any other, 5 unknown (NULL). A plain SQL function, so the planner inlines it
--   and the node and time conditions reach the partitions. The rollup reads it sorted by apex
--   and domain (binary COPY on PostgreSQL, a cursor on the embedded database) and its clients
--   with their hashes.
-- Parameters: none. Applied once by lib/db/migrate.ts; `create or replace`, so safe to re-run.
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
