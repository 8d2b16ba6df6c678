-- window_clients_copy: each client of a rollup window (dnsa_window_clients) with its hash
--   (hashinetextended(client_ip, 0), the hash of every client sketch), as binary COPY.
-- Parameters: $1 node_id, $2 start, $3 end, written into the text as literals by the caller
--   (COPY takes no parameters). Read-only.
copy (
  select client_ip, hashinetextended(client_ip, 0)
  from dnsa_window_clients($1, $2, $3)
) to stdout (format binary)
