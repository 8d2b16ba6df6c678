-- raw_partitions: the day partitions of dns_queries with their day, oldest first.
-- Parameters: none. Read-only.
select c.relname::text as name, to_date(substr(c.relname, 14), 'YYYYMMDD')::text as day
from pg_inherits i
join pg_class c on c.oid = i.inhrelid
where i.inhparent = 'dns_queries'::regclass and c.relname ~ '^dns_queries_p[0-9]{8}$'
order by c.relname
