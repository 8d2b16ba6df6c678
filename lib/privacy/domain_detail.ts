/**
 * How much of a query name is stored (`DNSA_DOMAIN_DETAIL`): `full` (default) keeps the name;
 * `apex` keeps only its registrable domain (by the public suffix list, lib/domain.ts), so
 * `mail.private-clinic.example.co.ug` is stored as `example.co.ug` in `domain` and
 * `apex_domain` alike, and every statistic counts registrable domains.
 *
 * @example
 * ```ts
 * storedDomain("apex", "www.bbc.co.uk", "bbc.co.uk"); // "bbc.co.uk"
 * ```
 * @module
 */
import { apexDomain } from "../domain.ts";

/** `DNSA_DOMAIN_DETAIL`. */
export type DomainDetail = "full" | "apex";

/**
 * The `domain` stored for a normalized name: the name itself, or with `apex` its registrable
 * domain (`apex` when the caller already has it, else computed).
 */
export function storedDomain(detail: DomainDetail, domain: string, apex?: string): string {
  if (detail === "full") return domain;
  return apex ?? apexDomain(domain);
}
