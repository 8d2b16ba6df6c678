-- insert_errors: store query-errors, rate-limit and response lines of a batch, unmatched.
-- Parameters: $1 node_id, $2 fingerprint, then parallel arrays: $3 logged_at, $4 kind,
--   $5 client_ip, $6 client_port, $7 domain, $8 qclass, $9 qtype, $10 view, $11 reason,
--   $12 response_rcode, $13 byte_offset, $14 apex_domain, $15 matched_query_at (the time of
--   the query a line was joined to before it was stored, NULL = not joined). Runs in the
--   batch's transaction; not idempotent.
insert into dns_query_errors
  (logged_at, node_id, kind, client_ip, client_port, domain, qclass, qtype, view, reason,
   response_rcode, fingerprint, byte_offset, apex_domain, matched_query_at)
select logged_at, $1, kind, client_ip, client_port, domain, qclass, qtype, view, reason,
  response_rcode, $2, byte_offset, apex_domain, matched_query_at
from unnest($3::timestamptz[], $4::text[], $5::inet[], $6::int[], $7::text[], $8::text[],
  $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[],
  $15::timestamptz[])
  as u(logged_at, kind, client_ip, client_port, domain, qclass, qtype, view, reason,
       response_rcode, byte_offset, apex_domain, matched_query_at)
