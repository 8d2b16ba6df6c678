-- replace_rows: delete a node's seed rows (origin 'seed') inside the span of a batch of rows
--   read from BIND's logs, in that batch's transaction. The seed stored timestamps cut to the
--   second, so the span starts at the batch's first second. Only while the span meets the
--   node's seed span (dns_seed_spans); otherwise nothing is read.
-- Parameters: $1 node_id, $2 first and $3 last instant of the batch (timestamptz).
--   Returns the rows deleted. Safe to re-run.
with span as (
  select 1 from dns_seed_spans
  where node_id = $1 and first_at <= $3::timestamptz
    and last_at >= date_trunc('second', $2::timestamptz)
),
del as (
  delete from dns_queries q
  where exists (select 1 from span) and q.node_id = $1 and q.origin = 'seed'
    and q.queried_at >= date_trunc('second', $2::timestamptz) and q.queried_at <= $3::timestamptz
  returning 1
)
select count(*)::bigint as n from del
