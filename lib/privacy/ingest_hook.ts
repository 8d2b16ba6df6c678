/**
 * The policy (policy.ts) at the one point of each ingest path where a parsed line becomes a
 * row: a query-log line, a query-errors line, a dnstap row, a reject sample. Each function
 * returns what is to be batched, or null when the row is excluded (then the caller counts it
 * with `countExcluded` of lib/ingest/counts.ts and batches nothing).
 *
 * @module
 */
import type { ClientLine, QueryLine } from "../parse/types.ts";
import type { PrivacyPolicy } from "./policy.ts";

/** A query-log line and its stored name under `policy`; null when excluded. */
export function privateQuery(
  policy: PrivacyPolicy,
  q: QueryLine,
  names: { domain: string; apex: string },
): { q: QueryLine; domain: string } | null {
  const r = policy.row({ client: q.clientIp, domain: names.domain, apex: names.apex });
  if (r === null) return null;
  return {
    q: { ...q, clientIp: r.client, ecsSubnet: policy.subnet(q.ecsSubnet) },
    domain: r.domain ?? names.domain,
  };
}

/** A query-errors (or rate-limit, or response) line and its stored name; null when excluded. */
export function privateErrorLine<T extends ClientLine>(
  policy: PrivacyPolicy,
  e: T,
  domain: string | null,
  apex: () => string | null,
): { e: T; domain: string | null } | null {
  const r = policy.row({
    client: e.clientIp,
    domain,
    apex: domain === null || policy.domainDetail === "full" ? null : apex(),
  });
  if (r === null) return null;
  return { e: { ...e, clientIp: r.client }, domain: r.domain };
}
