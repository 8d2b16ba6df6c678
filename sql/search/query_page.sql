-- query_page: one page of the raw query search, newest first, after a keyset cursor.
-- Columns: queried_at, node_name, client_ip (text), client_name, the other dns_queries columns,
--   source, and cursor_at (queried_at as UTC text with microseconds) and row_key for the next
--   cursor. The client name is the one dns_client_best_names would give, looked up per row
--   (the address's primary key index), so only the page's rows pay for it.
-- Parameters: the caller replaces the rows marker with sql/search/query_rows.sql (its filters filled
--   in), the page_where marker with `and ...` over r (the cursor: r.queried_at < $a or (r.queried_at =
--   $a and r.row_key <= $b)), and the limit marker with a positional parameter. Read-only.
select r.queried_at, d.node_name, host(r.client_ip) as client_ip, n.name as client_name,
  r.client_port, r.domain, r.apex_domain, r.qtype, r.qclass, r.flags, r.response_rcode,
  r.cached, r.transport, r.view, r.recursion_desired, r.edns_version, r.dnssec_ok,
  r.checking_disabled, r.client_subnet::text as client_subnet, host(r.server_ip) as server_ip,
  r.error_reason, r.rcode_source, r.latency_us, r.response_size, r.response_flags,
  r.answer_count, r.source,
  to_char(r.queried_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at,
  r.row_key
from (
  select * from (/*rows*/) r
  where true /*page_where*/
  order by r.queried_at desc, r.row_key desc
  limit /*limit*/
) r
left join dns_nodes d on d.node_id = r.node_id
left join lateral (
  select c.name from dns_client_names c
  where c.address = r.client_ip
  order by case c.source when 'hosts' then 0 when 'dhcp' then 1 else 2 end, c.last_seen desc,
    c.name
  limit 1
) n on true
order by r.queried_at desc, r.row_key desc
