-- applied_prune: forget bus messages stored before $1 (older than the stream keeps messages,
-- so none of them can be delivered again). At most 50 000 rows per run.
-- Parameters: $1 timestamptz cutoff. Safe to re-run.
delete from dns_bus_applied
where msg_id in (
  select msg_id from dns_bus_applied where applied_at < $1 limit 50000
)
