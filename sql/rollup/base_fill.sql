-- base_fill: one pass over a day of raw rows of one node, counted per hour, domain, qtype
--   and client. Orphan query-errors lines (kind failed or response, joined to no query) are
--   failed queries of their own. Every statistics table of the window derives from this.
-- Parameters: $1 node_id, $2 start of the day, $3 start of the next day (timestamptz),
--   $4 IANA zone of the hours.
insert into rollup_base
select date_trunc('hour', t.at, $4::text), t.domain, max(t.apex_domain), t.qtype, t.client_ip,
  count(*),
  count(*) filter (where t.rc = 'NOERROR'),
  count(*) filter (where t.rc = 'NXDOMAIN'),
  count(*) filter (where t.rc = 'SERVFAIL'),
  count(*) filter (where t.rc = 'REFUSED'),
  count(*) filter (where t.rc not in ('NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED')),
  count(*) filter (where t.rc is null),
  min(t.at), max(t.at)
from (
  select q.queried_at as at, q.domain, q.apex_domain, q.qtype, q.client_ip,
    q.response_rcode as rc
  from dns_queries q
  where q.node_id = $1 and q.queried_at >= $2::timestamptz and q.queried_at < $3::timestamptz
  union all
  select e.logged_at, e.domain, e.apex_domain, e.qtype, e.client_ip, e.response_rcode
  from dns_query_errors e
  where e.node_id = $1 and e.logged_at >= $2::timestamptz and e.logged_at < $3::timestamptz
    and e.matched_query_at is null and e.kind in ('failed', 'response')
) t
group by 1, t.domain, t.qtype, t.client_ip
