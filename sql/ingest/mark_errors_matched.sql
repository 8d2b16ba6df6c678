-- mark_errors_matched: record which query each joined line belongs to.
-- Parameters: parallel arrays $1 ctid (text) of dns_query_errors rows, $2 the query's time.
--   Runs in the batch's transaction, right after errors_unmatched.
update dns_query_errors e set matched_query_at = u.queried_at
from unnest($1::tid[], $2::timestamptz[]) as u(tid, queried_at)
where e.ctid = u.tid
