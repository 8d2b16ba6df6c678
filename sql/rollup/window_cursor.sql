-- window_cursor: open the cursor over one window's raw rows and orphan query-errors lines (a
--   failed or response line joined to no query is a failed query of its own), sorted so that
--   apex, domain, (domain, qtype) and each group's clients arrive together. Bytewise ("C")
--   order: any consistent order groups equal values, and it is the cheapest to sort.
-- Columns: apex_domain, domain, qtype, client hash (hashinetextended(client_ip, 0)), epoch
--   seconds, rcode, latency_us.
-- Parameters: $1 node_id, $2 start, $3 end (timestamptz). Inside the window's transaction;
--   read with window_fetch.sql, closed with window_close.sql.
declare rollup_rows no scroll cursor for
select t.apex_domain, t.domain, t.qtype, hashinetextended(t.client_ip, 0) as h,
  date_part('epoch', t.at) as at, t.rc, t.lat
from (
  select q.queried_at as at, q.domain, q.apex_domain, q.qtype, q.client_ip,
    q.response_rcode as rc, q.latency_us as lat
  from dns_queries q
  where q.node_id = $1 and q.queried_at >= $2::timestamptz and q.queried_at < $3::timestamptz
  union all
  select e.logged_at, e.domain, e.apex_domain, e.qtype, e.client_ip, e.response_rcode, null
  from dns_query_errors e
  where e.node_id = $1 and e.logged_at >= $2::timestamptz and e.logged_at < $3::timestamptz
    and e.matched_query_at is null and e.kind in ('failed', 'response')
) t
order by t.apex_domain collate "C", t.domain collate "C", t.qtype collate "C", 4
