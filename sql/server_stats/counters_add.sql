-- counters_add: file one delta of named's counters under its node and minute; a second delta
--   of the same minute (the collector ran twice in it) is added, never replaces.
-- Parameters: $1 one row as a JSON object keyed by the columns of dns_server_counters.
--   Run in the collector's transaction, which moves the sample the delta came from.
insert into dns_server_counters as c
select * from jsonb_populate_record(null::dns_server_counters, $1::text::jsonb)
on conflict (node_name, stat_minute) do update set
  since = least(c.since, excluded.since),
  sampled_at = greatest(c.sampled_at, excluded.sampled_at),
  restarted = c.restarted or excluded.restarted,
  requests = c.requests + excluded.requests,
  responses = c.responses + excluded.responses,
  udp_count = c.udp_count + excluded.udp_count,
  tcp_count = c.tcp_count + excluded.tcp_count,
  recursion_count = c.recursion_count + excluded.recursion_count,
  noerror_count = c.noerror_count + excluded.noerror_count,
  nxdomain_count = c.nxdomain_count + excluded.nxdomain_count,
  servfail_count = c.servfail_count + excluded.servfail_count,
  refused_count = c.refused_count + excluded.refused_count,
  formerr_count = c.formerr_count + excluded.formerr_count,
  other_count = c.other_count + excluded.other_count,
  rate_dropped = c.rate_dropped + excluded.rate_dropped,
  rate_slipped = c.rate_slipped + excluded.rate_slipped,
  cache_query_hits = c.cache_query_hits + excluded.cache_query_hits,
  cache_query_misses = c.cache_query_misses + excluded.cache_query_misses,
  cache_hits = c.cache_hits + excluded.cache_hits,
  cache_misses = c.cache_misses + excluded.cache_misses,
  rcodes = dnsa_jsonb_sum(c.rcodes, excluded.rcodes),
  qtypes = dnsa_jsonb_sum(c.qtypes, excluded.qtypes),
  nsstats = dnsa_jsonb_sum(c.nsstats, excluded.nsstats)
