-- 0003_dnstap: dnstap queries waiting for their response across batches.
-- Purpose: a CLIENT_QUERY frame and its CLIENT_RESPONSE may land in different batches (or
--   files, or connections). A query still unanswered when its batch commits waits here, in
--   the batch's transaction; a later response removes it; one unanswered for 60 s becomes a
--   row of its own (rcode NULL). So the join survives restarts with nothing counted twice.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
create table dnstap_pending (
  node_id     integer not null,
  key         text not null,
  queried_at  timestamptz not null,
  row_values  jsonb not null
);
create index dnstap_pending_key on dnstap_pending (node_id, key);
create index dnstap_pending_at on dnstap_pending (node_id, queried_at);
