-- ptr_store: cache one PTR answer (name NULL: none, a negative answer) until expires_at.
-- Parameters: $1 address (inet), $2 name (text or NULL), $3 now, $4 expires_at. Safe to re-run.
insert into dns_client_ptr (address, name, looked_up_at, expires_at)
values ($1::inet, $2::text, $3::timestamptz, $4::timestamptz)
on conflict (address) do update
set name = excluded.name, looked_up_at = excluded.looked_up_at, expires_at = excluded.expires_at
