-- accepts_writes: whether the database takes writes now, whatever this session was told when
--   it connected (ALTER DATABASE/ROLE … SET default_transaction_read_only reaches a session
--   only at its start): not a standby, not read-only for this database or role in the
--   catalog, and not read-only in the server's configuration.
-- Parameters: none. Read-only.
select not pg_is_in_recovery()
  and not exists (
    select 1
    from pg_db_role_setting s, unnest(s.setconfig) as c
    where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
      and s.setrole in (0, (select oid from pg_roles where rolname = current_user))
      and lower(c) in ('default_transaction_read_only=on', 'default_transaction_read_only=true',
        'default_transaction_read_only=1', 'default_transaction_read_only=yes'))
  and not (
    current_setting('default_transaction_read_only')::boolean
    and (select source from pg_settings where name = 'default_transaction_read_only')
      not in ('database', 'user', 'database user', 'session')) as ok
