-- 0024_client_names: names of client addresses, and the PTR lookup cache.
-- Purpose: dns_client_names holds what the operator's sources say an address is called: the
--   hosts-format file (DNSA_CLIENT_NAMES, source 'hosts'), DHCP lease files (DNSA_DHCP_LEASES,
--   'dhcp') and PTR lookups (DNSA_PTR_LOOKUP, 'ptr'). One row per address, source and name,
--   with when that source first and last said so: a client whose name changed keeps its
--   queries (stored by address) and its old names. dns_client_best_names picks the name shown:
--   hosts over dhcp over ptr, then the most recently seen. dns_client_ptr caches PTR answers,
--   also negative ones (name NULL), until expires_at. Queries are never joined at ingest: names
--   are looked up when rows are read.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
create table dns_client_names (
  address     inet not null,
  name        text not null,
  source      text not null check (source in ('hosts', 'dhcp', 'ptr')),
  first_seen  timestamptz not null default now(),
  last_seen   timestamptz not null default now(),
  primary key (address, source, name)
);
create index dns_client_names_name on dns_client_names (lower(name));

create view dns_client_best_names as
select distinct on (address) address, name, source
from dns_client_names
order by address, case source when 'hosts' then 0 when 'dhcp' then 1 else 2 end,
  last_seen desc, name;

create table dns_client_ptr (
  address       inet primary key,
  name          text,
  looked_up_at  timestamptz not null,
  expires_at    timestamptz not null
);
create index dns_client_ptr_expires on dns_client_ptr (expires_at);
