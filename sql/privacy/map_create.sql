-- map_create: the temporary address → pseudonym map of one hash rewrite (dropped at commit).
-- Parameters: none. Safe to re-run within a transaction (if not exists).
create temporary table if not exists privacy_map (
  address   inet primary key,
  pseudonym inet not null
) on commit drop
