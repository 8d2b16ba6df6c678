-- 0001_init: the schema of the interface contract.
-- Purpose: node registry, raw queries partitioned by day, query-errors lines (joined and
--   orphans), ingest checkpoints, rejected-line samples, settings.
-- Parameters: none. Applied once by lib/db/migrate.ts inside a transaction under an advisory
--   lock; not safe to re-run by hand (use `dns-analytics migrate`).

-- The registry. Across databases nodes are matched by node_name only; node_id is local.
create table dns_nodes (
  node_id    serial primary key,
  node_name  text not null unique,
  node_ip    inet,
  location   text,
  network    cidr,
  active     boolean not null default true,
  added_at   timestamptz not null default now()
);

-- One row per client query. The seed's nine columns come first (the user's own SQL reads
-- them); the rest are what the sources also say. No btree index: lookups go through the
-- statistics tables, and a BRIN index on time costs almost nothing at ingest.
create table dns_queries (
  queried_at        timestamptz not null,
  client_ip         inet not null,
  client_port       integer,
  domain            text,
  apex_domain       text,
  qtype             text,
  flags             text,
  response_rcode    text,
  cached            boolean,
  node_id           integer not null,
  qclass            text,
  view              text,
  transport         text,
  recursion_desired boolean,
  edns_version      smallint,
  dnssec_ok         boolean,
  checking_disabled boolean,
  client_subnet     inet,
  server_ip         inet,
  error_reason      text,
  rcode_source      text,
  latency_us        integer,
  response_size     integer
) partition by range (queried_at);

create index dns_queries_queried_at_brin on dns_queries using brin (queried_at);

comment on column dns_queries.response_rcode is
  'rcode mnemonic as BIND prints it; NULL where the source does not say';
comment on column dns_queries.rcode_source is
  'what set response_rcode: query-errors, response (BIND responselog), dnstap; NULL = none';
comment on column dns_queries.error_reason is
  'the query-errors reason (REFUSED, failure, SERVFAIL, timed out, ...) joined to this query';

-- Lines of the query-errors log (and BIND >= 9.20.3 response lines). A line joined to its
-- query has matched_query_at set; a `failed` or `response` line left unmatched is an orphan,
-- counted in the statistics as a failed query of its own. Rate-limit lines never mark a query.
create table dns_query_errors (
  logged_at        timestamptz not null,
  node_id          integer not null,
  kind             text not null check (kind in ('failed', 'ratelimit', 'response')),
  client_ip        inet not null,
  client_port      integer,
  domain           text,
  qclass           text,
  qtype            text,
  view             text,
  reason           text,
  response_rcode   text,
  matched_query_at timestamptz,
  fingerprint      text,
  byte_offset      bigint
);

create index dns_query_errors_logged_at on dns_query_errors (node_id, logged_at);
create index dns_query_errors_unmatched on dns_query_errors (node_id, logged_at)
  where matched_query_at is null and kind <> 'ratelimit';

-- Where each source file has been read to. The fingerprint identifies a file by its first
-- line, whatever its name, inode or compression; the offset is in bytes of the
-- uncompressed content. Rows and checkpoint commit in one transaction.
create table ingest_checkpoints (
  node_id       integer not null references dns_nodes (node_id),
  fingerprint   text not null,
  path          text not null,
  byte_offset   bigint not null,
  lines         bigint not null default 0,
  rows_added    bigint not null default 0,
  rejected      bigint not null default 0,
  skipped       bigint not null default 0,
  reasons       jsonb not null default '{}',
  last_line_at  timestamptz,
  updated_at    timestamptz not null default now(),
  primary key (node_id, fingerprint)
);

-- A few samples of each kind of rejected line, stored as bytes whatever they hold.
create table ingest_rejects (
  id           bigserial primary key,
  node_id      integer not null references dns_nodes (node_id),
  path         text not null,
  fingerprint  text,
  byte_offset  bigint not null,
  reason       text not null,
  line_length  integer not null,
  sample       bytea not null,
  seen_at      timestamptz not null default now()
);

create index ingest_rejects_seen_at on ingest_rejects (seen_at);

-- Program settings recorded in the database (e.g. the zone partitions were cut in).
create table dnsa_settings (
  key    text primary key,
  value  text not null
);

-- Create the day partition of dns_queries that holds `day` in zone `tz`, if missing.
-- Safe to re-run.
create function dnsa_ensure_day_partition(day date, tz text) returns void
language plpgsql as $$
declare
  part text := format('dns_queries_p%s', to_char(day, 'YYYYMMDD'));
  lo timestamptz := (day::timestamp at time zone tz);
  hi timestamptz := ((day + 1)::timestamp at time zone tz);
begin
  if to_regclass(part) is null then
    execute format(
      'create table if not exists %I partition of dns_queries for values from (%L) to (%L)',
      part, lo, hi);
  end if;
end;
$$;
