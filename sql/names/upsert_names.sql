-- upsert_names: record that a source names these addresses now.
-- Parameters: $1 addresses (text[]), $2 names (text[], parallel), $3 source ('hosts', 'dhcp',
--   'ptr'), $4 now (timestamptz). A new (address, source, name) starts first_seen; a known one
--   moves last_seen. Safe to re-run.
insert into dns_client_names (address, name, source, first_seen, last_seen)
select u.a::inet, u.n, $3::text, $4::timestamptz, $4::timestamptz
from unnest($1::text[], $2::text[]) as u(a, n)
on conflict (address, source, name) do update set last_seen = excluded.last_seen
