-- 0020_server_counters: BIND's own server-wide counters, read from its statistics channel.
-- Purpose:
--   dns_server_counters: one row per node and minute: how much each counter of named's
--     statistics channel (`statistics-channels`, /json/v1/server) grew in that minute. The
--     query log records no answer code; these are named's own counts of the rcodes it sent,
--     queries by qtype, recursion, UDP/TCP, responses that response rate limiting dropped or
--     slipped, and cache hits and misses. A row covers the interval (since, sampled_at]; it is
--     filed under the minute that holds the middle of the interval. After a restart of named
--     (its boot-time changed, or a counter went down) the row holds the counts since the
--     restart: never a negative delta, never the old counts again.
--   dns_server_samples: per node, the last absolute values read, which the next delta is
--     computed from (in the same transaction as the row it gives).
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
create table dns_server_counters (
  node_name          text not null,
  stat_minute        timestamptz not null,
  since              timestamptz not null,
  sampled_at         timestamptz not null,
  restarted          boolean not null default false,
  requests           bigint not null default 0,
  responses          bigint not null default 0,
  udp_count          bigint not null default 0,
  tcp_count          bigint not null default 0,
  recursion_count    bigint not null default 0,
  noerror_count      bigint not null default 0,
  nxdomain_count     bigint not null default 0,
  servfail_count     bigint not null default 0,
  refused_count      bigint not null default 0,
  formerr_count      bigint not null default 0,
  other_count        bigint not null default 0,
  rate_dropped       bigint not null default 0,
  rate_slipped       bigint not null default 0,
  cache_query_hits   bigint not null default 0,
  cache_query_misses bigint not null default 0,
  cache_hits         bigint not null default 0,
  cache_misses       bigint not null default 0,
  rcodes             jsonb not null default '{}',
  qtypes             jsonb not null default '{}',
  nsstats            jsonb not null default '{}',
  primary key (node_name, stat_minute)
);
create index dns_server_counters_minute on dns_server_counters using brin (stat_minute)
  with (autosummarize = on);

comment on table dns_server_counters is
  'per node and minute: growth of named''s statistics-channel counters (DNSA_NAMED_STATS)';
comment on column dns_server_counters.requests is 'nsstats Requestv4 + Requestv6';
comment on column dns_server_counters.responses is 'nsstats Response (answers sent)';
comment on column dns_server_counters.rate_dropped is
  'nsstats RateDropped: answers response rate limiting dropped';
comment on column dns_server_counters.rate_slipped is
  'nsstats RateSlipped: answers rate limiting replaced by a truncated (TC) answer';
comment on column dns_server_counters.cache_query_hits is
  'resolver cachestats QueryHits, summed over the views: client queries answered from cache';

create table dns_server_samples (
  node_name   text primary key,
  sampled_at  timestamptz not null,
  boot_time   timestamptz,
  counters    jsonb not null
);

-- The key-wise sum of two jsonb objects of numbers (two readings filed under one minute).
create function dnsa_jsonb_sum(a jsonb, b jsonb) returns jsonb
language sql immutable parallel safe as $$
  select coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
  from (
    select k, sum(v::numeric) as n
    from (select * from jsonb_each_text(a) union all select * from jsonb_each_text(b)) t(k, v)
    group by k
  ) s
$$;
