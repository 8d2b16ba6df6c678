-- tier_days: the day partitions of dns_queries older than the tier (before $1) that are not
--   yet rewritten in mode $2, oldest first.
-- Parameters: $1 first day kept in full (date), $2 mode ('truncate' | 'hash'). Read-only.
select c.relname::text as name, to_date(substr(c.relname, 14), 'YYYYMMDD')::text as day
from pg_inherits i
join pg_class c on c.oid = i.inhrelid
left join privacy_rewritten_days r
  on r.day = to_date(substr(c.relname, 14), 'YYYYMMDD') and r.mode = $2::text
where i.inhparent = 'dns_queries'::regclass and c.relname ~ '^dns_queries_p[0-9]{8}$'
  and to_date(substr(c.relname, 14), 'YYYYMMDD') < $1::date
  and r.day is null
order by c.relname
