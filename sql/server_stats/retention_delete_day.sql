-- retention_delete_day: delete every node's server counters of one day (bounded by the day).
-- Parameters: $1 day (date), $2 IANA zone. Safe to re-run.
delete from dns_server_counters
where stat_minute >= ($1::date::timestamp at time zone $2::text)
  and stat_minute < (($1::date + 1)::timestamp at time zone $2::text)
