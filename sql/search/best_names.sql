-- best_names: the name shown for each named client address (dns_client_best_names).
-- Columns: address (text, as host() prints it), name. Parameters: none. Read-only.
select host(address) as address, name from dns_client_best_names
