-- metrics_jobs: runs of the scheduled jobs by node, job and status, for /metrics: how many,
--   their total duration, the newest finish; and per node and job whether the newest finished
--   run failed and when the newest successful one finished.
-- Columns: node_name, job, status, runs, seconds, last_finished (Unix seconds, NULL while
--   running), last_failed (boolean, the same on every row of a node and job), last_ok (Unix
--   seconds of the newest ok or skipped run, NULL if none).
-- Parameters: none. Reads job_runs (one row per run; a few hundred a day) in one pass.
--   Read-only; safe to re-run.
with per_status as (
  select node_name, job, status, count(*) as runs,
    coalesce(sum(extract(epoch from finished_at - started_at)), 0)::float8 as seconds,
    extract(epoch from max(finished_at))::float8 as last_finished,
    max(finished_at) as newest,
    max(finished_at) filter (where status in ('ok', 'skipped')) as newest_ok
  from job_runs
  group by node_name, job, status
),
per_job as (
  select node_name, job,
    (array_agg(status order by newest desc nulls last))[1] = 'failed' as last_failed,
    extract(epoch from max(newest_ok))::float8 as last_ok
  from per_status
  group by node_name, job
)
select s.node_name, s.job, s.status, s.runs, s.seconds, s.last_finished,
  coalesce(j.last_failed, false) as last_failed, j.last_ok
from per_status s
join per_job j using (node_name, job)
order by s.node_name, s.job, s.status
