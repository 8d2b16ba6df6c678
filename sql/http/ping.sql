-- ping: the database answers (GET /healthz). Parameters: none. Read-only; safe to re-run.
select 1 as ok
