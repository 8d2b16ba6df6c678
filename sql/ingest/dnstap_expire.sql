-- dnstap_expire: waiting dnstap queries received before a cutoff never got a response: each
--   becomes a row of its own (response_rcode NULL) in the session's dnsa_batch_rows, packed
--   into blocks by the commit. Returns the rows added and their span.
-- Parameters: $1 node_id, $2 cutoff (timestamptz). Runs in the batch's transaction; the
--   partitions of the rows' days exist (they were ensured when the queries were first seen).
with moved as (
  delete from dnstap_pending where node_id = $1 and queried_at < $2::timestamptz
  returning row_values as v
),
added as (
  insert into dnsa_batch_rows
    (queried_at, client_ip, client_port, domain, apex_domain, qtype, flags, node_id, qclass,
     view, transport, recursion_desired, edns_version, dnssec_ok, checking_disabled,
     client_subnet, server_ip, response_rcode, rcode_source, latency_us, response_size,
     response_flags, answer_count)
  select (v->>0)::timestamptz, (v->>1)::inet, (v->>2)::integer, v->>3, v->>4, v->>5, v->>6,
    (v->>7)::integer, v->>8, v->>9, v->>10, (v->>11)::boolean, (v->>12)::smallint,
    (v->>13)::boolean, (v->>14)::boolean, (v->>15)::inet, (v->>16)::inet, v->>17, v->>18,
    (v->>19)::integer, (v->>20)::integer, v->>21, (v->>22)::smallint
  from moved
  returning queried_at
)
select count(*)::int as n, min(queried_at) as first_at, max(queried_at) as last_at from added
