-- storage: what the database takes on disk, by part, per stored query and per day.
-- Columns: part, bytes (heap, TOAST and indexes), bytes_per_query (bytes / the raw queries
--   stored), queries (the raw queries of the part: blocks and staged rows; per day, its
--   blocks), bytes_per_day (bytes / the raw day partitions). Parts: the raw blocks (heap and
--   TOAST), their indexes, the joined outcomes, staged rows, query-errors lines, statistics,
--   the rest, the total; then one row per raw day partition (`day <partition>`).
-- Parameters: $1 first day, $2 last day (date; only the day rows between them), $3 node names
--   (unused: storage is the whole database's), $4 limit of day rows. Read-only.
with rels as (
  select c.oid, c.relname::text as name, c.relkind
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = current_schema() and c.relkind in ('r', 'm')
),
sized as (
  select name,
    case
      when name like 'dns\_query\_blocks\_p%' then 'raw blocks'
      when name like 'dns\_query\_outcomes\_p%' then 'joined outcomes'
      when name = 'dns_query_staged' then 'staged rows'
      when name = 'dns_query_errors' then 'query-errors lines'
      when name like 'dns\_daily\_%' or name like 'dns\_hourly\_%' or name = 'dns_domains_seen'
        then 'statistics'
      else 'other'
    end as part,
    pg_table_size(oid) as table_bytes, pg_indexes_size(oid) as index_bytes
  from rels
),
parts as (
  select part, sum(table_bytes)::bigint as bytes from sized where part <> 'raw blocks' group by 1
  union all
  select 'raw blocks', coalesce(sum(table_bytes), 0)::bigint from sized where part = 'raw blocks'
  union all
  select 'raw block indexes', coalesce(sum(index_bytes), 0)::bigint
  from sized where part = 'raw blocks'
),
fixed as (
  select part, bytes + case when part = 'raw blocks' then 0 else coalesce((
    select sum(index_bytes) from sized s where s.part = parts.part), 0) end as bytes
  from parts where part <> 'raw block indexes'
  union all
  select part, bytes from parts where part = 'raw block indexes'
),
totals as (
  select (select coalesce(sum(n), 0) from dns_query_blocks)
    + (select count(*) from dns_query_staged) as queries,
    (select count(*) from dnsa_partition_bounds()) as days
),
days as (
  select b.name, b.lo,
    pg_total_relation_size(('dns_query_blocks_p' || substr(b.name, 14))::regclass)
    + pg_total_relation_size(('dns_query_outcomes_p' || substr(b.name, 14))::regclass) as bytes,
    (select coalesce(sum(x.n), 0) from dns_query_blocks x
     where x.first_at >= b.lo and x.first_at < b.hi) as queries
  from dnsa_partition_bounds() b
  where ($1::date is null or b.hi > $1::date) and ($2::date is null or b.lo < $2::date + 1)
    and ($3::text[] is null or true)
  order by b.lo
  limit $4
)
select part, bytes, bytes_per_query, queries, bytes_per_day
from (
  select p.o, p.part, p.bytes, round(p.bytes::numeric / nullif(t.queries, 0), 1) as bytes_per_query,
    case when p.part = 'total' then t.queries end as queries,
    round(p.bytes::numeric / nullif(t.days, 0)) as bytes_per_day
  from (
    select part, bytes, case part when 'raw blocks' then 1 when 'raw block indexes' then 2
      when 'joined outcomes' then 3 when 'staged rows' then 4 when 'query-errors lines' then 5
      when 'statistics' then 6 else 7 end as o
    from fixed
    union all
    select 'total', sum(bytes)::bigint, 8 from fixed
  ) p, totals t
  union all
  select 9, 'day ' || d.name, d.bytes, round(d.bytes::numeric / nullif(d.queries, 0), 1),
    d.queries, d.bytes
  from days d
) r
order by o, part
