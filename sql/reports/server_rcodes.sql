-- server-rcodes: the answers named sent in range by rcode, from its statistics channel
--   (dns_server_counters): server-wide truth where the query log records no answer code.
-- Columns: rcode (NOERROR, NXDOMAIN, SERVFAIL, REFUSED always; any other rcode named counted,
--   e.g. FORMERR, NOTIMP, BADCOOKIE, when above 0), responses, rate_pct (of all answers
--   counted by rcode), requests (queries received in range, all rcodes' rows alike).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit, $5 IANA zone of the days. Reads dns_server_counters.
with c as (
  select rcodes, requests from dns_server_counters
  where ($1::date is null or stat_minute >= ($1::date::timestamp at time zone $5::text))
    and ($2::date is null or stat_minute < (($2::date + 1)::timestamp at time zone $5::text))
    and ($3::text[] is null or node_name = any($3::text[]))
),
per as (
  select e.key as rcode, sum(e.value::numeric) as n
  from c cross join lateral jsonb_each_text(c.rcodes) e
  group by e.key
),
named as (
  select r.rcode, coalesce(p.n, 0) as n, r.pos
  from (values ('NOERROR', 1), ('NXDOMAIN', 2), ('SERVFAIL', 3), ('REFUSED', 4)) r(rcode, pos)
  left join per p using (rcode)
  union all
  select p.rcode, p.n, 5 from per p
  where p.rcode not in ('NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED') and p.n > 0
),
total as (select sum(n) as t from named),
req as (select coalesce(sum(requests), 0)::bigint as requests from c)
select named.rcode, named.n::bigint as responses,
  round(100.0 * named.n / nullif(total.t, 0), 2) as rate_pct, req.requests
from named cross join total cross join req
where exists (select 1 from c)
order by named.pos, named.n desc, named.rcode
limit $4
