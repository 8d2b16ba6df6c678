-- 0024_client_names: names of client addresses, the PTR lookup cache, and the CSV cell rule
--   of the raw query search's export.
-- Purpose: dns_client_names holds what the operator's sources say an address is called: the
--   hosts-format file (DNSA_CLIENT_NAMES, source 'hosts'), DHCP lease files (DNSA_DHCP_LEASES,
--   'dhcp') and PTR lookups (DNSA_PTR_LOOKUP, 'ptr'). One row per address, source and name,
--   with when that source first and last said so: a client whose name changed keeps its
--   queries (stored by address) and its old names. dns_client_best_names picks the name shown:
--   hosts over dhcp over ptr, then the most recently seen. dns_client_ptr caches PTR answers,
--   also negative ones (name NULL), until expires_at. Queries are never joined at ingest: names
--   are looked up when rows are read. dnsa_csv_cell is lib/csv.ts's rule for a text cell, for
--   the CSV that PostgreSQL writes itself (COPY ... TO STDOUT (format csv)).
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

-- A text cell of a CSV that COPY (format csv) writes, by the rule of lib/csv.ts's csvField (one
-- rule for every CSV, tested equal to it): a text a spreadsheet would run as a formula (it
-- starts with =, +, -, @, a tab or a carriage return, and is not a number such as -3 or
-- -2.5) gets a leading ', and an empty text becomes NULL (COPY writes NULL as an empty field,
-- as csvField writes ""; it would quote an empty text). Quoting is COPY's: a field with a
-- comma, quote or line break is quoted, its quotes doubled. Not strict, so the planner
-- inlines it into the COPY's query; ascii() of the first character comes first, so the
-- regular expression runs only for the rare cells that start with one of those characters.
create function dnsa_csv_cell(cell text) returns text
language sql immutable parallel safe as $$
  select case
    when ascii(cell) in (9, 13, 43, 45, 61, 64) and cell !~ '^-?[0-9]+([.][0-9]+)?$'
      then '''' || cell
    else nullif(cell, '')
  end
$$;
