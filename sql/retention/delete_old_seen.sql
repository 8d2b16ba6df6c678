-- delete_old_seen: forget domains not seen since the statistics cutoff, and job runs older.
-- Parameters: $1 cutoff (timestamptz).
with j as (delete from job_runs where started_at < $1::timestamptz)
delete from dns_domains_seen where last_seen < $1::timestamptz
