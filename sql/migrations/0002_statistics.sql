-- 0002_statistics: hourly and daily statistics, the windows waiting for a rollup, job runs.
-- Purpose: the tables reports, the dashboard and federation read. Every statistics row
--   carries its node by name (node_name), so rows of several databases can meet.
-- Parameters: none. Applied once by lib/db/migrate.ts inside a transaction under an advisory
--   lock; not safe to re-run by hand (use `dns-analytics migrate`).
--
-- Counts: hit_count is every query (of every rcode and class) plus every orphan query-errors
-- line (a failed query of its own). The rcode columns split hit_count: noerror, nxdomain,
-- servfail, refused, other (any other rcode), unknown (the source does not say; with the query
-- log that is every query without a `query failed` line). unique_clients is exact for its row.
-- client_hashes holds the 256 smallest 64-bit hashes (hashinetextended(client_ip, 0)) of the
-- row's clients, sorted: all of them when fewer than 256. Merged across days and nodes it gives
-- an exact count below 256 clients and a k-minimum-values estimate above (relative standard
-- error 1/sqrt(254) = 6.3 %); see dnsa_sketch_count.

-- Orphan query-errors lines count in the statistics under their registrable domain.
alter table dns_query_errors add column apex_domain text;

-- Hours (in DNSA_LOG_TZ) whose raw rows changed since their last rollup. Ingest marks them
-- in the transaction of each batch; the rollup deletes a mark only if its seq is still the
-- one it read, so a batch committed during a rollup is rolled up again next time.
create sequence rollup_dirty_seq;
create table rollup_dirty (
  node_id    integer not null,
  stat_hour  timestamptz not null,
  seq        bigint not null,
  primary key (node_id, stat_hour)
);

-- Raw rows already ingested before this migration wait for their first rollup.
insert into rollup_dirty (node_id, stat_hour, seq)
select node_id, h, nextval('rollup_dirty_seq')
from (
  select distinct node_id, date_trunc('hour', queried_at) as h from dns_queries
  union
  select distinct node_id, date_trunc('hour', logged_at) from dns_query_errors
) t;

-- One row per node, hour, domain and qtype.
create table dns_hourly_stats (
  stat_hour       timestamptz not null,
  node_name       text not null,
  domain          text,
  apex_domain     text,
  qtype           text,
  hit_count       bigint not null,
  unique_clients  integer not null,
  noerror_count   bigint not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null,
  first_seen      timestamptz not null,
  last_seen       timestamptz not null
);
create index dns_hourly_stats_hour on dns_hourly_stats (stat_hour, node_name);

-- The seed's table: one row per node, day, domain and qtype.
create table dns_daily_stats (
  stat_date       date not null,
  domain          text,
  apex_domain     text,
  qtype           text,
  hit_count       bigint not null,
  unique_clients  integer not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  first_seen      timestamptz not null,
  last_seen       timestamptz not null,
  node_name       text not null,
  noerror_count   bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null,
  client_hashes   bigint[] not null
);
create index dns_daily_stats_date on dns_daily_stats (stat_date, node_name);
create index dns_daily_stats_domain on dns_daily_stats (domain, stat_date);

-- One row per node, day and domain (all qtypes): what top-domains, top NXDOMAIN and top
-- SERVFAIL read. The indexes on (day, node, count) let a report over many days find its
-- top rows without reading every row of the range.
create table dns_daily_domains (
  stat_date       date not null,
  node_name       text not null,
  domain          text,
  apex_domain     text,
  hit_count       bigint not null,
  unique_clients  integer not null,
  noerror_count   bigint not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null,
  first_seen      timestamptz not null,
  last_seen       timestamptz not null,
  client_hashes   bigint[] not null
);
create index dns_daily_domains_hits on dns_daily_domains (stat_date, node_name, hit_count);
create index dns_daily_domains_nxdomain on dns_daily_domains (stat_date, node_name, nxdomain_count)
  where nxdomain_count > 0;
create index dns_daily_domains_servfail on dns_daily_domains (stat_date, node_name, servfail_count)
  where servfail_count > 0;
create index dns_daily_domains_domain on dns_daily_domains (domain, stat_date);

-- One row per node, day and registrable domain.
create table dns_daily_apexes (
  stat_date       date not null,
  node_name       text not null,
  apex_domain     text,
  hit_count       bigint not null,
  unique_clients  integer not null,
  unique_domains  integer not null,
  noerror_count   bigint not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null,
  client_hashes   bigint[] not null
);
create index dns_daily_apexes_hits on dns_daily_apexes (stat_date, node_name, hit_count);
create index dns_daily_apexes_apex on dns_daily_apexes (apex_domain, stat_date);

-- One row per node, day and client.
create table dns_daily_clients (
  stat_date       date not null,
  node_name       text not null,
  client_ip       inet not null,
  hit_count       bigint not null,
  unique_domains  integer not null,
  noerror_count   bigint not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null,
  first_seen      timestamptz not null,
  last_seen       timestamptz not null
);
create index dns_daily_clients_hits on dns_daily_clients (stat_date, node_name, hit_count);
create index dns_daily_clients_client on dns_daily_clients (client_ip, stat_date);

-- One row per node, day and qtype.
create table dns_daily_qtypes (
  stat_date       date not null,
  node_name       text not null,
  qtype           text,
  hit_count       bigint not null,
  unique_clients  integer not null,
  noerror_count   bigint not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null
);
create index dns_daily_qtypes_date on dns_daily_qtypes (stat_date, node_name);

-- One row per node and hour, and per node and day: totals of everything.
create table dns_hourly_totals (
  stat_hour       timestamptz not null,
  node_name       text not null,
  hit_count       bigint not null,
  unique_clients  integer not null,
  unique_domains  integer not null,
  noerror_count   bigint not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null,
  client_hashes   bigint[] not null,
  primary key (stat_hour, node_name)
);

create table dns_daily_totals (
  stat_date       date not null,
  node_name       text not null,
  hit_count       bigint not null,
  unique_clients  integer not null,
  unique_domains  integer not null,
  noerror_count   bigint not null,
  nxdomain_count  bigint not null,
  servfail_count  bigint not null,
  refused_count   bigint not null,
  other_count     bigint not null,
  unknown_count   bigint not null,
  client_hashes   bigint[] not null,
  primary key (stat_date, node_name)
);

-- When each node first and last saw each domain; survives both retentions' daily rows.
create table dns_domains_seen (
  node_name    text not null,
  domain       text not null,
  apex_domain  text,
  first_seen   timestamptz not null,
  last_seen    timestamptz not null,
  primary key (node_name, domain)
);
create index dns_domains_seen_first on dns_domains_seen (first_seen);

-- Every run of a scheduled job, whatever started it.
create table job_runs (
  id           bigserial primary key,
  job          text not null,
  node_name    text not null,
  trigger      text not null check (trigger in ('cron', 'manual', 'startup')),
  started_at   timestamptz not null default clock_timestamp(),
  finished_at  timestamptz,
  status       text not null check (status in ('running', 'ok', 'failed', 'skipped')),
  rows         bigint,
  detail       jsonb,
  error        text
);
create index job_runs_job on job_runs (job, started_at);

-- Unique clients of merged client_hashes: exact when the merged set has fewer than 256
-- hashes; else the k-minimum-values estimate (k - 1) / U(k) with k = 256 and U the k-th
-- smallest hash as a fraction of the 64-bit range, never below 256 (the set holds at least
-- 256 distinct clients). `hashes` must be distinct and sorted (callers pass `limit 256`).
create function dnsa_sketch_count(hashes bigint[]) returns bigint
language sql immutable parallel safe as $$
  select case
    when coalesce(cardinality(hashes), 0) < 256 then coalesce(cardinality(hashes), 0)
    else greatest(256, round(255 / ((hashes[256]::numeric + 9223372036854775808)
      / 18446744073709551616)))::bigint
  end
$$;

-- Drop one day partition of dns_queries (by name, as dnsa_ensure_day_partition made it) and
-- the rollup marks of its day. Safe to re-run.
create function dnsa_drop_day_partition(part text, lo timestamptz, hi timestamptz)
returns void
language plpgsql as $$
begin
  if part !~ '^dns_queries_p[0-9]{8}$' then
    raise exception 'not a day partition of dns_queries: %', part;
  end if;
  execute format('drop table if exists %I', part);
  delete from rollup_dirty where stat_hour >= lo and stat_hour < hi;
end;
$$;

create index dns_domains_seen_domain on dns_domains_seen (domain);

-- The relative standard error (%) of a unique-client count from merged client_hashes:
-- 0 when exact (fewer than 256 clients), 6.3 above (k-minimum values with k = 256).
create function dnsa_sketch_error_pct(n bigint) returns numeric
language sql immutable parallel safe as $$
  select case when n < 256 then 0 else 6.3 end
$$;

-- The keys (domain, apex_domain or client_ip, as text) with the `n` largest sums of `metric`
-- over the (day, node) rows of `tbl` in a range of days and nodes, without reading every row
-- of the range. Exact: the n-th largest total among the per-day top keys is a lower bound L
-- of the n-th largest total overall; a key whose total reaches L has, in one of the P
-- (day, node) parts of the range, a row of at least L / P; only such keys are summed.
-- Parameters: tbl dns_daily_domains | dns_daily_apexes | dns_daily_clients; key its key
-- column; metric hit_count | nxdomain_count | servfail_count; d_from, d_to inclusive days
-- (NULL = no bound); nodes (NULL = all); n. Read-only.
create function dnsa_top_keys(tbl text, key text, metric text, d_from date, d_to date,
  nodes text[], n integer)
returns table (k text, total numeric)
language plpgsql stable as $$
declare
  parts bigint;
  lb numeric;
  keytype text := case key when 'client_ip' then 'inet' else 'text' end;
  scope text := 'select stat_date, node_name from dns_daily_totals '
    'where ($1::date is null or stat_date >= $1) and ($2::date is null or stat_date <= $2) '
    'and ($3::text[] is null or node_name = any($3))';
begin
  if tbl not in ('dns_daily_domains', 'dns_daily_apexes', 'dns_daily_clients')
     or key not in ('domain', 'apex_domain', 'client_ip')
     or metric not in ('hit_count', 'nxdomain_count', 'servfail_count') then
    raise exception 'dnsa_top_keys: unsupported table, key or metric';
  end if;
  execute format('select count(*) from (%s) s', scope) into parts using d_from, d_to, nodes;
  if parts = 0 then
    return;
  end if;
  execute format($q$
    with scope as (%1$s),
    seed as (
      select distinct s.k from scope p cross join lateral (
        select x.%3$I::text as k from %2$I x
        where x.stat_date = p.stat_date and x.node_name = p.node_name and x.%4$I > 0
          and x.%3$I is not null
        order by x.%4$I desc limit $4) s
    ),
    seed_totals as (
      select x.%3$I::text as k, sum(x.%4$I) as t
      from %2$I x join scope p using (stat_date, node_name)
      where x.%3$I = any(array(select seed.k from seed)::%5$s[])
      group by 1
    )
    select coalesce((select t from seed_totals order by t desc offset $4 - 1 limit 1), 0)
  $q$, scope, tbl, key, metric, keytype) into lb using d_from, d_to, nodes, n;
  return query execute format($q$
    with scope as (%1$s),
    cand as (
      select distinct x.%3$I::text as k from scope p cross join lateral (
        select x.%3$I from %2$I x
        where x.stat_date = p.stat_date and x.node_name = p.node_name and x.%4$I > 0
          and x.%4$I >= ceil($5 / $6)::bigint and x.%3$I is not null) x
    )
    select x.%3$I::text, sum(x.%4$I)::numeric
    from %2$I x join scope p using (stat_date, node_name)
    where x.%3$I = any(array(select cand.k from cand)::%5$s[])
    group by 1
    order by 2 desc, 1
    limit $4
  $q$, scope, tbl, key, metric, keytype) using d_from, d_to, nodes, n, lb, parts::numeric;
end;
$$;
