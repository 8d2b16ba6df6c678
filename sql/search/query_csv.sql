-- query_csv: every row of the raw query search as the CSV columns of lib/search/query_search.ts
--   (QUERY_COLUMNS, in that order), for COPY (...) TO STDOUT (format csv, header): PostgreSQL
--   writes the CSV itself, newest first, in constant memory on both sides.
-- Columns: queried_at as ISO 8601 with milliseconds and its offset in the session's time zone
--   (set to DNSA_LOG_TZ by the caller; as lib/report.ts's formatInstant: to_char's TZH:TZM),
--   node_name and client_name looked up in two jsonb
--   maps built once per statement (InitPlans; no join, so rows leave in the order of the time
--   index without a sort of the whole result), booleans as true/false, numbers as they are,
--   and every text cell through dnsa_csv_cell (lib/csv.ts's rule) but those this statement
--   writes itself, which that rule leaves as they are: addresses and networks as host() and
--   ::text print them (never empty, never starting with =, +, -, @, tab or CR) and source
--   ('query' or 'orphan').
-- Parameters: none of its own. The caller replaces the stream marker with
--   sql/search/query_stream.sql (its rows and limit filled in, its parameters inlined as
--   literals: COPY takes no parameters), in a session whose TimeZone is DNSA_LOG_TZ.
--   Read-only.
select to_char(r.queried_at, 'YYYY-MM-DD"T"HH24:MI:SS.MSTZH:TZM') as queried_at,
  dnsa_csv_cell(r.node_name) as node_name, r.client_ip,
  dnsa_csv_cell(r.client_name) as client_name, r.client_port,
  dnsa_csv_cell(r.domain) as domain, dnsa_csv_cell(r.apex_domain) as apex_domain,
  dnsa_csv_cell(r.qtype) as qtype, dnsa_csv_cell(r.qclass) as qclass,
  dnsa_csv_cell(r.flags) as flags, dnsa_csv_cell(r.response_rcode) as response_rcode,
  r.cached::text as cached, dnsa_csv_cell(r.transport) as transport,
  dnsa_csv_cell(r.view) as view, r.recursion_desired::text as recursion_desired,
  r.edns_version, r.dnssec_ok::text as dnssec_ok,
  r.checking_disabled::text as checking_disabled,
  r.client_subnet, r.server_ip,
  dnsa_csv_cell(r.error_reason) as error_reason, dnsa_csv_cell(r.rcode_source) as rcode_source,
  r.latency_us, r.response_size, dnsa_csv_cell(r.response_flags) as response_flags,
  r.answer_count, r.source
from (
  -- offset 0 keeps this a subquery of its own: the lookups are computed here, once per row,
  -- and dnsa_csv_cell is inlined over plain columns above. The rows keep the stream's order
  -- (newest first): these two levels only project, and an order by here would sort again.
  select s.*,
    (select jsonb_object_agg(node_id::text, node_name) from dns_nodes)
      ->> s.node_id::text as node_name,
    (select jsonb_object_agg(host(address), name) from dns_client_best_names)
      ->> s.client_ip as client_name
  from (/*stream*/
  ) s
  offset 0
) r
