-- base_create: the working table of one window's rollup, dropped at commit.
-- Parameters: none. Run inside the window's transaction.
create temp table rollup_base (
  h           timestamptz not null,
  domain      text,
  apex_domain text,
  qtype       text,
  client_ip   inet not null,
  hits        bigint not null,
  noerror     bigint not null,
  nxdomain    bigint not null,
  servfail    bigint not null,
  refused     bigint not null,
  other       bigint not null,
  unknown     bigint not null,
  first_seen  timestamptz not null,
  last_seen   timestamptz not null
) on commit drop
