-- read_daily_domains: on a peer, one node's rows of dns_daily_domains for one day, each as a JSON object
--   (to_jsonb of the row: columns the local table lacks are ignored on insert).
-- Parameters: $1 node_name, $2 day (date). Read-only; run in the peer's repeatable-read
--   snapshot together with the day's version.
select to_jsonb(t)::text as r from dns_daily_domains t where t.node_name = $1 and t.stat_date = $2::date
