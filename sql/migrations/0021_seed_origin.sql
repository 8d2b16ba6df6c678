-- 0021_seed_origin: rows that came from the seed guide's Python ingestor, kept and marked.
-- Purpose:
--   dns_queries.origin: 'seed' for the rows `migrate` converted from the seed's own
--     dns_queries table (lib/seed/convert.ts); NULL for rows this program read itself. The
--     seed's ingestor stored about a quarter of the query lines, with rcode 'NOERROR' by
--     default, seconds without milliseconds and the last two labels as apex_domain.
--   dns_seed_spans: per node, the first and last instant of its seed rows. While a batch of
--     this program's rows falls inside that span, the seed rows of the same node and instants
--     are deleted in the batch's transaction: a complete read of BIND's logs replaces the
--     seed's partial rows, nothing is counted twice, older seed rows stay.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
alter table dns_queries add column origin text;
comment on column dns_queries.origin is
  'seed = converted from the seed ingestor''s table by migrate; NULL = read by dns-analytics';

create table dns_seed_spans (
  node_id       integer primary key,
  first_at      timestamptz not null,
  last_at       timestamptz not null,
  rows          bigint not null,
  converted_at  timestamptz not null default now()
);
