/**
 * The API paths that show what one client did or what a client is called (the raw query log,
 * the drill-downs, the client names), as opposed to aggregates. One list, so an access rule
 * (e.g. a token that may see statistics only) can refuse all of them in one place.
 *
 * @module
 */

/** Paths (exact) of the client-detail endpoints. */
export const CLIENT_DETAIL_PATHS: readonly string[] = [
  "/api/queries",
  "/api/client-domains",
  "/api/domain-clients",
  "/api/client-names",
];

/** True when `path` shows client detail. */
export function isClientDetailPath(path: string): boolean {
  return CLIENT_DETAIL_PATHS.includes(path);
}
