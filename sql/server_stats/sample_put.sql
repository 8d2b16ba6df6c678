-- sample_put: store a node's latest reading of named's counters (what the next delta starts
--   from). Parameters: $1 node_name, $2 sampled_at, $3 boot_time (or NULL), $4 counters
--   (jsonb text). Safe to re-run.
insert into dns_server_samples (node_name, sampled_at, boot_time, counters)
values ($1, $2::timestamptz, $3::timestamptz, $4::text::jsonb)
on conflict (node_name) do update
  set sampled_at = excluded.sampled_at, boot_time = excluded.boot_time,
      counters = excluded.counters
