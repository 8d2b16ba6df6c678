-- delete_old_errors: delete at most 20 000 query-errors lines older than a cutoff; callers
--   repeat until it deletes none, so no statement is unbounded.
-- Parameters: $1 cutoff (timestamptz).
delete from dns_query_errors
where ctid = any(array(
  select ctid from dns_query_errors where logged_at < $1::timestamptz limit 20000))
