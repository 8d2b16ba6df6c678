/**
 * `dns_queries.cached` (the seed's column: was the answer served from the resolver's cache?)
 * and which sources can fill it. None that this program reads can, so it is NULL on every row
 * they give, and the answer is the server's cache counters (`report server-cache`, the
 * dashboard's "Resolver cache (named)" panel):
 *
 * - BIND 9.18's query log is written when a query arrives, before it is answered.
 * - dnstap: a CLIENT_RESPONSE carries the response message and its time only (no query time,
 *   no cache flag), and the DNS message has no bit for "from the cache": AA marks answers from
 *   a local zone only. The response time cannot tell either: in the real 9.18 capture
 *   (tests/fixtures/bind-9.18/dnstap-1) 2,771 NXDOMAIN answers to never-seen random names,
 *   which named had to ask upstream for, have a response time of 0. RESOLVER_QUERY frames
 *   (`dnstap { resolver query; }`) name no client query, and named shares one upstream fetch
 *   among every client asking the same name, so a client answer cannot be matched to them.
 *
 * Rows converted from the seed's tables (`migrate` on a seed database) keep the seed's value.
 *
 * @module
 */

/** What the API says of the `cached` column where it returns query rows. */
export const CACHED_NOTE =
  "cached: NULL where the source cannot tell, which is every source this program reads " +
  "(BIND's query log and dnstap do not say whether an answer came from the cache); rows " +
  "converted from the seed's tables keep the seed's value. The cache hit ratio is from the " +
  "server's cache counters: /api/reports/server-cache (named's statistics channel).";
