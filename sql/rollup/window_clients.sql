-- window_clients: each client of a rollup window (dnsa_window_clients), as text (the key
--   window_cursor.sql gives), with its hash (hashinetextended(client_ip, 0), the hash of every
--   client sketch).
-- Parameters: $1 node_id, $2 start, $3 end (timestamptz). Read-only.
select client_ip::text as client, hashinetextended(client_ip, 0)::text as h
from dnsa_window_clients($1, $2::timestamptz, $3::timestamptz)
