-- delete_old_rejects: delete at most 20 000 reject samples older than a cutoff (repeat).
-- Parameters: $1 cutoff (timestamptz).
delete from ingest_rejects
where id = any(array(select id from ingest_rejects where seen_at < $1::timestamptz limit 20000))
