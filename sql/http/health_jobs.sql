-- health_jobs: the most recent runs of the scheduled jobs, newest first, for GET /api/health.
-- Columns: job, status, started_at, finished_at, rows, error.
-- Parameters: $1 how many. Read-only; safe to re-run.
select job, status, started_at, finished_at, rows, error
from job_runs
order by started_at desc, id desc
limit $1::int
