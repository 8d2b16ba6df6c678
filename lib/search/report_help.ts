/**
 * The command-line surface of the raw query search reports (`report queries`,
 * `report client-domains`, `report domain-clients`): their names, options and help, kept
 * here so lib/cli.ts only merges them in.
 *
 * @module
 */

/** The search reports and what each shows. */
export const SEARCH_REPORTS: Readonly<Record<string, string>> = {
  queries: "raw queries matching the filters, newest first (dns_queries and orphan " +
    "query-errors lines)",
  "client-domains": "one client's (address, network or name) queries counted by domain, " +
    "or --by qtype / rcode",
  "domain-clients": "one domain's (or *.name's) queries counted by client",
};

/** Options the search reports add to `report`. */
export const SEARCH_OPTIONS = {
  client: { type: "string" },
  domain: { type: "string" },
  apex: { type: "string" },
  qtype: { type: "string" },
  rcode: { type: "string" },
  transport: { type: "string" },
  by: { type: "string" },
} as const;

/** The help text of the search reports, appended to `report --help`. */
export const SEARCH_HELP = `
Raw query search (reads dns_queries and the orphan query-errors lines, not the
statistics; exact over the raw retention, DNSA_RETENTION_DAYS):
  queries            every query matching the filters, newest first. Columns:
                     queried_at, node_name, client_ip, client_name, client_port,
                     domain, apex_domain, qtype, qclass, flags, response_rcode,
                     transport, ... and source (query, or orphan: a query-errors
                     line whose query is not in the query log)
  client-domains     needs --client: its queries counted by domain (--by qtype or
                     --by rcode instead), most queried first
  domain-clients     needs --domain: its queries counted by client, with names

Filters (combine with AND; lists are comma-separated):
  --from T, --to T    a date YYYY-MM-DD (the whole day, in DNSA_LOG_TZ) or a
                      timestamp 2026-11-25T20:43:16[.780][Z|+03:00] (no zone: DNSA_LOG_TZ)
  --client X          an address, a network (10.10.10.0/24) or a client name
  --domain X          a name, or *.example.com for example.com and every name below
  --apex X            the registrable domain (apex_domain)
  --qtype X           A, AAAA, HTTPS, ...
  --rcode X           NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ..., or unknown (the
                      source did not say: a query-log row without a query-errors line)
  --transport X       udp, tcp, ...
  --node NAME         nodes
  --location L        only the nodes at location L
  --network CIDR      only the nodes whose network or address lies in CIDR
  --limit N           at most N rows (default 100; up to 1000000000). json and csv
                      stream the rows (constant memory), so --limit 1000000 takes
                      every row of a large result in one call
  --format F          table (default), json (an array of row objects) or csv

Examples:
  dns-analytics report queries --client 10.10.10.31 --from 2026-11-25T03:00 --to 2026-11-25T03:15
  dns-analytics report queries --domain '*.google.com' --rcode SERVFAIL --format csv --limit 1000000
  dns-analytics report client-domains --client printer --from 2026-11-01
  dns-analytics report domain-clients --domain phishing.example --format json`;
