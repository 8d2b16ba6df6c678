-- window_copy: a rollup window's rows (dnsa_window_rows: raw queries and orphan query-errors
--   lines) sorted by apex and domain, as binary COPY for lib/rollup/window_source.ts. Bytewise
--   ("C") order: any consistent order keeps a domain's rows together, and it is the cheapest.
-- Columns: apex_domain, domain, qtype, client_ip, at (timestamptz), rc (0-5), latency_us.
-- Parameters: $1 node_id, $2 start, $3 end, written into the text as literals by the caller
--   (COPY takes no parameters). Read-only.
copy (
  select apex_domain, domain, qtype, client_ip, at, rc, latency_us
  from dnsa_window_rows($1, $2, $3)
  order by apex_domain collate "C", domain collate "C"
) to stdout (format binary)
