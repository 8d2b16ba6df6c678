-- apply_rcodes: set the rcode (and query-errors reason) of joined query rows.
-- Parameters: parallel arrays $1 tableoid, $2 ctid (text), $3 rcode, $4 reason (NULL keeps
--   the row's), $5 rcode_source. Runs in the batch's transaction, right after
--   match_candidates, so the ctids are current. An rcode from a response line is exact and
--   is never replaced by one derived from a query-errors reason.
update dns_queries q set
  response_rcode = case when q.rcode_source = 'response' then q.response_rcode else u.rcode end,
  error_reason = coalesce(u.reason, q.error_reason),
  rcode_source = case when q.rcode_source = 'response' then q.rcode_source else u.source end
from unnest($1::oid[], $2::tid[], $3::text[], $4::text[], $5::text[])
  as u(toid, tid, rcode, reason, source)
where q.tableoid = u.toid and q.ctid = u.tid
