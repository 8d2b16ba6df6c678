-- names_of: the shown names (dns_client_best_names) of some addresses.
-- Columns: address (text, as host() prints it), name.
-- Parameters: $1 addresses (text[] of host() texts). Read-only.
select host(address) as address, name
from dns_client_best_names
where address = any($1::inet[])
