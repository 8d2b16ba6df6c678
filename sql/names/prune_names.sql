-- prune_names: forget what a source no longer says (the hosts file is the whole truth of its
--   source: a line removed from it names nothing any more).
-- Parameters: $1 addresses (text[]), $2 names (text[], parallel), $3 source. Safe to re-run.
delete from dns_client_names c
where c.source = $3::text
  and not exists (
    select 1 from unnest($1::text[], $2::text[]) as u(a, n)
    where u.a::inet = c.address and u.n = c.name)
