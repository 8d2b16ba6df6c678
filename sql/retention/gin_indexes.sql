-- gin_indexes: the GIN indexes of one table (a day partition of dns_query_blocks), with whether
--   each is valid (a concurrent rebuild cut short leaves its new index invalid).
-- Parameters: $1 table name. Read-only.
select c.relname as name, x.indisvalid as valid
from pg_index x
join pg_class c on c.oid = x.indexrelid
join pg_am a on a.oid = c.relam
where x.indrelid = to_regclass(quote_ident($1::text)) and a.amname = 'gin'
order by c.relname
