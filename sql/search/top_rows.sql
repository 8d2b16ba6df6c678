-- top_rows: the search's rows as the drill-downs count them (sql/search/top_by.sql): the
--   block rows with only the arrays they need (lib/search/block_rows.ts), the staged rows and
--   the orphan query-errors lines.
-- Columns: queried_at, domain, apex_domain, qtype, client_ip, response_rcode.
-- Parameters: none of its own. The caller replaces the blocks marker with the FROM clause of
--   sql/search/block_rows.sql, the block_columns marker with the block rows' domain,
--   apex_domain, qtype and client_ip (NULL where not read), the apex and apex_e markers with
--   the apex of staged and error rows (or NULL), and the staged_where and error_where markers
--   with `and ...` conditions over q and e. Read-only.
select q.queried_at, /*block_columns*/, q.response_rcode
from /*blocks*/
union all
select q.queried_at, q.domain, /*apex*/, q.qtype, q.client_ip, q.response_rcode
from dns_query_staged q
where true /*staged_where*/
union all
select e.logged_at, e.domain, /*apex_e*/, e.qtype, e.client_ip, e.response_rcode
from dns_query_errors e
where e.matched_query_at is null and e.kind in ('failed', 'response') /*error_where*/
