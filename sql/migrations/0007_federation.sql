-- 0007_federation: what federation needs to pull a peer's statistics incrementally.
-- Purpose:
--   stats_versions: one row per (node, day) this database rolled up, with a version from one
--     sequence that the rollup sets in the window's transaction. Versions are taken under an
--     advisory lock held until commit, so they become visible in version order: a peer that
--     has read every version up to V has seen every change up to V. Only local nodes' days
--     are here, so a peer never pulls back what this database itself pulled (no loops).
--   federated_days: the (node, day) statistics pulled from a peer, with the version applied.
--   federation_peers: per peer, the watermark (last version applied), the peer database's
--     identity, and the status the metrics read (last attempt, success, error, rows).
--   dns_nodes.federated_from: the peer label a node's statistics come from (NULL = local);
--     dns_nodes.peer_url: a peer to pull from, as a postgres:// URL without a password (the
--     password comes from ~/.pgpass or PGPASSFILE).
--   dnsa_settings 'database_id': this database's identity, so a peer label pointed at another
--     database starts again from version 0 instead of skipping that database's changes.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
create sequence stats_versions_seq;
create table stats_versions (
  node_name   text not null,
  stat_date   date not null,
  version     bigint not null,
  day_start   timestamptz not null,
  day_end     timestamptz not null,
  updated_at  timestamptz not null default now(),
  primary key (node_name, stat_date)
);
create index stats_versions_version on stats_versions (version);

create table federated_days (
  node_name   text not null,
  stat_date   date not null,
  peer_name   text not null,
  version     bigint not null,
  pulled_at   timestamptz not null default now(),
  primary key (node_name, stat_date)
);

create table federation_peers (
  peer_name        text primary key,
  last_attempt_at  timestamptz,
  last_success_at  timestamptz,
  last_error       text,
  rows_pulled      bigint not null default 0,
  days_pulled      bigint not null default 0,
  last_rows        bigint not null default 0,
  last_version     bigint not null default 0,
  peer_database_id text
);

alter table dns_nodes
  add column federated_from text,
  add column peer_url text
    check (peer_url ~ '^postgres(ql)?://' and peer_url !~ '^[^/]*//[^/@]*:[^/@]*@'
      and peer_url !~* 'password=');

comment on column dns_nodes.federated_from is
  'the federation peer (label) whose statistics brought this node; NULL for a local node';
comment on column dns_nodes.peer_url is
  'pull this node''s statistics from this database (postgres:// URL, never with a password)';

insert into dnsa_settings (key, value) values ('database_id', gen_random_uuid()::text)
on conflict (key) do nothing;
