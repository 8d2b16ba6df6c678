-- metrics_federation_present: whether the federation_peers table exists (it comes with the
--   federation migration; /metrics works without it).
-- Columns: present (boolean). Parameters: none. Read-only; safe to re-run.
select to_regclass('federation_peers') is not null as present
