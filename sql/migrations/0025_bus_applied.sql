-- 0025_bus_applied: the bus messages `consume` has stored.
-- Purpose: each batch an edge publishes carries a message id (node, file fingerprint, byte
--   range); `consume` records it in the batch's own transaction, so a message delivered again
--   (after a consumer died before its ack, or re-published beyond the stream's duplicate
--   window) is skipped and its rows are stored once. Rows older than the stream keeps
--   messages are pruned by `consume`.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.
create table dns_bus_applied (
  msg_id text primary key,
  node_id integer not null references dns_nodes (node_id),
  applied_at timestamptz not null default now()
);
create index dns_bus_applied_at on dns_bus_applied using brin (applied_at);
