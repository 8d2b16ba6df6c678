-- 0010_report_scope: the scope of a report and the ranking of domains, once, for the reports
--   in sql/reports/.
-- Purpose: top-domains, top-nxdomain and top-servfail rank the same rows by another column,
--   and every top-* report joins the same (day, node) scope; these two functions are that
--   scope and that ranking, so each report file says only what it ranks by and shows.
--   Both are plain SQL: the planner inlines them into the report's statement.
-- Parameters: none. Applied once by lib/db/migrate.ts; not safe to re-run by hand.

-- The (day, node) parts of a report: the days from d_from to d_to (inclusive, NULL = no
-- bound) of the nodes in `nodes` (NULL = all nodes, local and federated) that have totals.
-- Read-only.
create function dnsa_report_scope(d_from date, d_to date, nodes text[])
returns table (stat_date date, node_name text)
language sql stable as $$
  select t.stat_date, t.node_name from dns_daily_totals t
  where (d_from is null or t.stat_date >= d_from) and (d_to is null or t.stat_date <= d_to)
    and (nodes is null or t.node_name = any(nodes))
$$;

-- The `n` domains with the largest sums of `metric` (hit_count, nxdomain_count or
-- servfail_count) in the scope, each with its sums, its unique clients (exact for one part or
-- below 256 clients, else estimated from the merged client hashes) and the estimate's error.
-- Unordered: the report orders. Read-only.
create function dnsa_report_domains(metric text, d_from date, d_to date, nodes text[],
  n integer)
returns table (domain text, apex_domain text, hit_count bigint, unique_clients bigint,
  unique_clients_error_pct numeric, noerror_count bigint, nxdomain_count bigint,
  servfail_count bigint, refused_count bigint, other_count bigint, unknown_count bigint,
  first_seen timestamptz, last_seen timestamptz)
language sql stable as $$
  with scope as (
    select * from dnsa_report_scope(d_from, d_to, nodes)
  ),
  top as (
    select k from dnsa_top_keys('dns_daily_domains', 'domain', metric, d_from, d_to, nodes, n)
  ),
  rows as (
    select x.domain, max(x.apex_domain) as apex_domain, sum(x.hit_count)::bigint as hit_count,
      count(*) as parts, max(x.unique_clients) as one_part_clients,
      sum(x.noerror_count)::bigint as noerror_count,
      sum(x.nxdomain_count)::bigint as nxdomain_count,
      sum(x.servfail_count)::bigint as servfail_count,
      sum(x.refused_count)::bigint as refused_count, sum(x.other_count)::bigint as other_count,
      sum(x.unknown_count)::bigint as unknown_count,
      min(x.first_seen) as first_seen, max(x.last_seen) as last_seen
    from dns_daily_domains x join scope p using (stat_date, node_name)
    where x.domain = any(array(select k from top))
    group by x.domain
  ),
  counted as (
    select r.*, case when r.parts = 1 then r.one_part_clients::bigint else
      dnsa_sketch_count(array(
        select distinct h from dns_daily_domains y join scope p using (stat_date, node_name),
          unnest(y.client_hashes) h
        where y.domain = r.domain order by h limit 256)) end as unique_clients
    from rows r
  )
  select domain, apex_domain, hit_count, unique_clients,
    case when parts = 1 then 0 else dnsa_sketch_error_pct(unique_clients) end,
    noerror_count, nxdomain_count, servfail_count, refused_count, other_count, unknown_count,
    first_seen, last_seen
  from counted
$$;
