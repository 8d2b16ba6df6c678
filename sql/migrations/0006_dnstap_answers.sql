-- 0006_dnstap_answers: what dnstap says of each answer beyond its rcode.
-- Purpose: the response's header flags as dig prints them (`qr aa tc rd ra ad cd`, only those
--   set) and its answer count, for rows from dnstap; NULL for query-log rows and unanswered
--   queries. Nullable columns at the end: rows that do not set them cost nothing more.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
alter table dns_queries
  add column response_flags text,
  add column answer_count smallint;
