-- window_cursor: open a cursor over a rollup window's rows (dnsa_window_rows: raw queries and
--   orphan query-errors lines) sorted by apex and domain; the embedded database's path (no
--   COPY TO STDOUT there). Bytewise ("C") order keeps a domain's rows together cheaply.
-- Columns: apex_domain, domain, qtype, client (client_ip as text), at_us (epoch µs), rc (0-5),
--   latency_us.
-- Parameters: $1 node_id, $2 start, $3 end (timestamptz). Inside the window's transaction;
--   read with window_fetch.sql, closed with window_close.sql.
declare rollup_rows no scroll cursor for
select apex_domain, domain, qtype, client_ip::text as client,
  (extract(epoch from at) * 1000000)::int8 as at_us, rc, latency_us
from dnsa_window_rows($1, $2::timestamptz, $3::timestamptz)
order by apex_domain collate "C", domain collate "C"
