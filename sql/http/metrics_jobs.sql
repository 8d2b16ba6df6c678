-- metrics_jobs: runs of the scheduled jobs by node, job and status, for /metrics: how many,
--   their total duration, the newest finish; and per node and job whether the newest finished
--   run failed and when the newest successful one finished.
-- Columns: node_name, job, status, runs, seconds, last_finished (Unix seconds, NULL while
--   running), last_failed (boolean, the same on every row of a node and job), last_ok (Unix
--   seconds of the newest ok or skipped run, NULL if none).
-- Parameters: none. Reads job_runs (one row per run; a few hundred a day). Read-only.
with by_status as (
  select node_name, job, status, count(*) as runs,
    coalesce(sum(extract(epoch from finished_at - started_at)), 0)::float8 as seconds,
    extract(epoch from max(finished_at))::float8 as last_finished
  from job_runs
  group by node_name, job, status
),
newest as (
  select distinct on (node_name, job) node_name, job, status = 'failed' as last_failed
  from job_runs
  where finished_at is not null
  order by node_name, job, finished_at desc
)
select b.node_name, b.job, b.status, b.runs, b.seconds, b.last_finished,
  coalesce(n.last_failed, false) as last_failed,
  (select extract(epoch from max(r.finished_at))::float8 from job_runs r
    where r.node_name = b.node_name and r.job = b.job and r.status in ('ok', 'skipped'))
    as last_ok
from by_status b
left join newest n using (node_name, job)
order by b.node_name, b.job, b.status
