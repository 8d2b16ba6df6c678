-- insert_rejects: keep samples of rejected lines (as bytes, whatever they hold).
-- Parameters: $1 node_id, $2 path, $3 fingerprint, $4 byte_offset[], $5 reason[],
--   $6 line_length[], $7 sample (hex text[]). Runs in the batch's transaction.
insert into ingest_rejects (node_id, path, fingerprint, byte_offset, reason, line_length, sample)
select $1, $2, $3, byte_offset, reason, line_length, decode(sample_hex, 'hex')
from unnest($4::bigint[], $5::text[], $6::int[], $7::text[])
  as u(byte_offset, reason, line_length, sample_hex)
