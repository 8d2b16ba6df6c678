-- insert_rows_unnest: load a batch of query rows into the session's dnsa_batch_rows (packed
--   into blocks by pack_rows.sql) from parallel arrays, one per column of
--   COPY_COLUMNS (lib/ingest/batch.ts). Used where COPY FROM STDIN is not available (the
--   embedded database's socket cannot carry it); values arrive as text and are cast here
--   (the booleans through text[]: a boolean[] parameter would take postgres.js's serializer,
--   which writes 'f' for any value but a JavaScript true).
-- Parameters: $1 … $17, one text[] per column, in COPY_COLUMNS order. Runs in the batch's
--   transaction; not idempotent.
insert into dnsa_batch_rows
  (queried_at, client_ip, client_port, domain, apex_domain, qtype, flags, node_id, qclass,
   view, transport, recursion_desired, edns_version, dnssec_ok, checking_disabled,
   client_subnet, server_ip)
select *
from unnest($1::timestamptz[], $2::inet[], $3::integer[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::integer[], $9::text[], $10::text[], $11::text[], $12::text[]::boolean[],
  $13::smallint[], $14::text[]::boolean[], $15::text[]::boolean[], $16::inet[], $17::inet[])
