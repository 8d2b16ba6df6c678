-- server-rrl: the minutes in which named's response rate limiting (the `rate-limit` clause)
--   dropped or slipped answers, oldest first, from its statistics channel
--   (dns_server_counters). A dropped answer is one the client never got.
-- Columns: stat_minute, requests (queries received in that minute), responses (answers
--   sent), rate_dropped, rate_slipped (answered truncated instead, so the client retries
--   over TCP), dropped_pct (of the queries received).
-- Parameters: $1 first day, $2 last day (date, inclusive; NULL = no bound), $3 node names
--   (text[], NULL = all nodes), $4 limit, $5 IANA zone of the days. Reads dns_server_counters.
select stat_minute, sum(requests)::bigint as requests, sum(responses)::bigint as responses,
  sum(rate_dropped)::bigint as rate_dropped, sum(rate_slipped)::bigint as rate_slipped,
  round(100.0 * sum(rate_dropped) / nullif(sum(requests), 0), 2) as dropped_pct
from dns_server_counters
where ($1::date is null or stat_minute >= ($1::date::timestamp at time zone $5::text))
  and ($2::date is null or stat_minute < (($2::date + 1)::timestamp at time zone $5::text))
  and ($3::text[] is null or node_name = any($3::text[]))
  and (rate_dropped > 0 or rate_slipped > 0)
group by stat_minute
order by stat_minute
limit $4
