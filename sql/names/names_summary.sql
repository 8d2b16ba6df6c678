-- names_summary: how many client addresses have a name, by source and in all.
-- Columns: source ('all' for every source together), addresses. Parameters: none. Read-only.
select source, count(distinct address)::int as addresses from dns_client_names group by source
union all
select 'all', count(distinct address)::int from dns_client_names
