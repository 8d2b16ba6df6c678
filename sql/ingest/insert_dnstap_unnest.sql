-- insert_dnstap_unnest: load a batch of dnstap rows into the session's dnsa_batch_rows
--   (packed into blocks by pack_rows.sql) from parallel arrays, one per column of
--   DNSTAP_COLUMNS (lib/ingest/row_sink.ts), where COPY FROM STDIN is not available. The
--   booleans come through text[] (as in insert_rows_unnest.sql).
-- Parameters: $1 … $23, one text[] per column, in DNSTAP_COLUMNS order. Runs in the batch's
--   transaction; not idempotent.
insert into dnsa_batch_rows
  (queried_at, client_ip, client_port, domain, apex_domain, qtype, flags, node_id, qclass,
   view, transport, recursion_desired, edns_version, dnssec_ok, checking_disabled,
   client_subnet, server_ip, response_rcode, rcode_source, latency_us, response_size,
   response_flags, answer_count)
select *
from unnest($1::timestamptz[], $2::inet[], $3::integer[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::integer[], $9::text[], $10::text[], $11::text[], $12::text[]::boolean[],
  $13::smallint[], $14::text[]::boolean[], $15::text[]::boolean[], $16::inet[], $17::inet[],
  $18::text[], $19::text[], $20::integer[], $21::integer[], $22::text[], $23::smallint[])
