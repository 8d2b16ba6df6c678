-- rewrite_day: lock one day partition against writers, then rewrite and swap it (see
--   migration 0023) and record the day.
-- Parameters: $1 partition name, $2 day start, $3 day end (timestamptz), $4 mode, $5 IPv4
--   bits, $6 IPv6 bits, $7 day (date). Run in one transaction with the map filled; rewriting
--   a day again in the same mode changes nothing (truncation is idempotent, pseudonyms are
--   left as they are).
with n as (
  select dnsa_privacy_rewrite_day($1::text, $2::timestamptz, $3::timestamptz, $4::text,
                                  $5::integer, $6::integer) as rows
)
insert into privacy_rewritten_days (day, mode, rows)
select $7::date, $4::text, rows from n
on conflict (day) do update set mode = excluded.mode, rows = excluded.rows,
  rewritten_at = now()
returning rows
