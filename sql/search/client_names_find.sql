-- client_names_find: what dns_client_names knows of an address, or which addresses go by a
--   name (`name`, or `name.<domain>`), each with its sources and when they said so.
-- Columns: address (text), name, source, first_seen, last_seen, shown (the name the program
--   shows for that address).
-- Parameters: $1 address (inet, NULL = any), $2 lower-case name (NULL = any), $3 limit.
--   Read-only.
select host(c.address) as address, c.name, c.source, c.first_seen, c.last_seen,
  b.name = c.name and b.source = c.source as shown
from dns_client_names c
join dns_client_best_names b on b.address = c.address
where ($1::inet is null or c.address = $1::inet)
  and ($2::text is null or c.address in (
    select x.address from dns_client_names x
    where lower(x.name) = $2::text
      or (strpos($2::text, '.') = 0 and split_part(lower(x.name), '.', 1) = $2::text)))
order by c.address, case c.source when 'hosts' then 0 when 'dhcp' then 1 else 2 end,
  c.last_seen desc, c.name
limit $3
