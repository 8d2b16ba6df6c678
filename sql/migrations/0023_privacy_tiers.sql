-- 0023_privacy_tiers: rewriting a day partition of dns_queries with truncated or pseudonymised
--   client addresses (DNSA_CLIENT_IP_FULL_DAYS; lib/privacy/tiers.ts runs it from retention).
-- Purpose: a day older than the tier gets a new table made by `insert ... select` with the
--   transform, swapped in for the old partition (detach, drop, rename, attach) in the
--   caller's transaction: never a long UPDATE of the raw rows. The day's query-errors lines
--   are updated in place (a few per mille of the rows). privacy_rewritten_days records each
--   day done, so a day is rewritten once per mode.
-- Parameters: none. Applied once by lib/db/migrate.ts; functions are `create or replace`.

create table privacy_rewritten_days (
  day           date primary key,
  mode          text not null,
  rows          bigint not null,
  rewritten_at  timestamptz not null default now()
);

-- The host address of `ip`'s network of p4 (IPv4) or p6 (IPv6) bits: 192.0.2.77 → 192.0.2.0.
create or replace function dnsa_privacy_truncate(ip inet, p4 integer, p6 integer) returns inet
language sql immutable parallel safe as $$
  select set_masklen(
    network(set_masklen(ip, case when family(ip) = 4 then p4 else p6 end))::inet,
    case when family(ip) = 4 then 32 else 128 end)
$$;

-- Rewrite partition `part` (the day [lo, hi)) in mode 'truncate' (p4/p6 bits) or 'hash' (the
-- temporary table privacy_map(address inet, pseudonym inet) the caller filled); returns the
-- rows copied. The caller holds the partition lock and commits.
create or replace function dnsa_privacy_rewrite_day(
  part text, lo timestamptz, hi timestamptz, mode text, p4 integer, p6 integer
) returns bigint
language plpgsql as $$
declare
  tmp text := part || '_privacy';
  client_expr text;
  subnet_expr text;
  src text;
  cols text;
  exprs text;
  n bigint;
begin
  if mode = 'truncate' then
    client_expr := format('dnsa_privacy_truncate(q.client_ip, %s, %s)', p4, p6);
    subnet_expr := format(
      'network(set_masklen(q.client_subnet, least(masklen(q.client_subnet), '
      'case when family(q.client_subnet) = 4 then %s else %s end)))::inet', p4, p6);
    src := format('%I q', part);
  elsif mode = 'hash' then
    client_expr := 'coalesce(m.pseudonym, q.client_ip)';
    subnet_expr := 'null::inet';
    src := format('%I q left join privacy_map m on m.address = q.client_ip', part);
  else
    raise exception 'dnsa_privacy_rewrite_day: unknown mode %', mode;
  end if;
  select string_agg(quote_ident(attname), ', ' order by attnum),
         string_agg(case attname when 'client_ip' then client_expr
                                 when 'client_subnet' then subnet_expr
                                 else 'q.' || quote_ident(attname) end, ', ' order by attnum)
    into cols, exprs
  from pg_attribute
  where attrelid = 'dns_queries'::regclass and attnum > 0 and not attisdropped;
  execute format('drop table if exists %I', tmp);
  execute format('create table %I (like dns_queries including defaults including constraints)',
                 tmp);
  execute format('insert into %I (%s) select %s from %s', tmp, cols, exprs, src);
  get diagnostics n = row_count;
  execute format('alter table dns_queries detach partition %I', part);
  execute format('drop table %I', part);
  execute format('alter table %I rename to %I', tmp, part);
  execute format('alter table dns_queries attach partition %I for values from (%L) to (%L)',
                 part, lo, hi);
  perform dnsa_restrict_raw(part::regclass);
  if mode = 'truncate' then
    update dns_query_errors set client_ip = dnsa_privacy_truncate(client_ip, p4, p6)
    where logged_at >= lo and logged_at < hi
      and client_ip <> dnsa_privacy_truncate(client_ip, p4, p6);
  else
    update dns_query_errors e set client_ip = m.pseudonym
    from privacy_map m
    where m.address = e.client_ip and e.logged_at >= lo and e.logged_at < hi;
  end if;
  return n;
end;
$$;
