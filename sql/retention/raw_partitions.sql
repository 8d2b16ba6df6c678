-- raw_partitions: the partitions of dns_queries with their bounds and the day their name
--   carries (the day, in the zone that made it, it was made for), oldest first.
-- Parameters: none. Read-only.
select name, to_date(substr(name, 14, 8), 'YYYYMMDD')::text as day, lo, hi
from dnsa_partition_bounds()
where name ~ '^dns_queries_p[0-9]{8}(_[0-9]{8}t[0-9]{6}z)?$'
order by lo
