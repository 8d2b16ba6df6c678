/**
 * Who sees what over HTTP. Two tokens: `DNSA_HTTP_TOKEN` ("admin": everything) and
 * `DNSA_HTTP_STATS_TOKEN` ("stats": aggregates only). The stats token gets 403 on every
 * endpoint that shows individual clients: the query log, a client's drill-down, the
 * clients of a domain, client names and the top-clients report (which lists addresses).
 * Every request to such an endpoint is logged with who asked (the token's name, never the
 * token) and the filter it gave (addresses in it redacted as the privacy mode stores them).
 *
 * @example
 * ```ts
 * revealsClients("/api/reports/top-clients"); // true
 * revealsClients("/api/reports/top-domains"); // false
 * ```
 * @module
 */
import type { Logger } from "../log.ts";
import { cookieValue, TOKEN_COOKIE, tokenEquals } from "../http/auth.ts";
import { isClientDetailPath } from "../http/client_detail.ts";

/** Which token a request carries: `admin` (or no token configured), `stats`, or none. */
export type Access = "admin" | "stats";

/** The tokens of the configuration. */
export interface HttpTokens {
  httpToken: string | null;
  httpStatsToken?: string | null;
}

/** The token `req` carries (bearer or cookie), by name; null when it carries neither. */
export function accessOf(req: Request, tokens: HttpTokens): Access | null {
  if (tokens.httpToken === null) return "admin";
  const auth = req.headers.get("authorization");
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  const bearer = m ? tokenAccess(m[1], tokens) : null;
  if (bearer !== null) return bearer;
  const cookie = cookieValue(req.headers.get("cookie"), TOKEN_COOKIE);
  return cookie === null ? null : tokenAccess(cookie, tokens);
}

/** The name of token `given` (a login form's), or null when it is neither. */
export function tokenAccess(given: string, tokens: HttpTokens): Access | null {
  if (tokens.httpToken !== null && tokenEquals(given, tokens.httpToken)) return "admin";
  if (tokens.httpStatsToken && tokenEquals(given, tokens.httpStatsToken)) return "stats";
  return null;
}

const CLIENT_REPORTS = new Set(["top-clients", "client-domains", "domain-clients", "queries"]);

/** True for an endpoint that shows individual clients or queries. */
export function revealsClients(path: string): boolean {
  if (isClientDetailPath(path)) return true;
  if (/^\/api\/(client|clients|client-names|queries)(\/|$)/.test(path)) return true;
  const report = /^\/api\/reports\/([a-z0-9-]+)$/.exec(path);
  return report !== null && CLIENT_REPORTS.has(report[1]);
}

/**
 * Check and log a request to a client endpoint; a 403 Response for the stats token, else
 * null (go on). Other paths return null and log nothing.
 */
export function guardClientAccess(
  access: Access,
  url: URL,
  options: { log: Logger; redact?: (text: string) => string },
): Response | null {
  if (!revealsClients(url.pathname)) return null;
  const redact = options.redact ?? ((s: string) => s);
  const filter: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k !== "cursor") filter[k] = redact(v).slice(0, 200);
  }
  const fields = { token: access, path: url.pathname, filter };
  if (access === "stats") {
    options.log.warn("http: client data refused", fields);
    return new Response(
      JSON.stringify({
        error: "forbidden: the statistics token (DNSA_HTTP_STATS_TOKEN) sees aggregates only",
      }) + "\n",
      { status: 403, headers: { "content-type": "application/json; charset=utf-8" } },
    );
  }
  options.log.info("http: client data read", fields);
  return null;
}
