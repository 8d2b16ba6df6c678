/**
 * The HTTP request handler: routing, token authentication, security headers, and errors.
 *
 * Open without a token: `/healthz`, `/login`, `/assets/*`. Everything else needs the token
 * (when DNSA_HTTP_TOKEN is set): a browser navigation to `/` without it is sent to `/login`
 * (303); the API and `/metrics` answer 401 JSON. Only GET and HEAD, and POST to `/login`.
 *
 * @module
 */
import { type Config, isLoopbackHost } from "../config.ts";
import { isTransientDbError, type Sql } from "../db/connect.ts";
import { errorText } from "../error_text.ts";
import type { Logger } from "../log.ts";
import type { MetricsRecorder } from "../metrics.ts";
import {
  clientEndpoint,
  domainEndpoint,
  healthEndpoint,
  nodesEndpoint,
  reportEndpoint,
} from "./api.ts";
import { loginPage, tokenCookie } from "./auth.ts";
import { LoginLimiter } from "./login_limit.ts";
import { accessOf, guardClientAccess, tokenAccess } from "../privacy/http_access.ts";
import { renderMetrics } from "./metrics_page.ts";
import { searchEndpoint } from "./search_api.ts";
import { html, json, jsonError, secure, seeOther, text, TYPES } from "./respond.ts";
import { HTTP_SQL } from "./statements.ts";

/** A static file: its Content-Type and body. */
export interface Asset {
  type: string;
  body: string;
}

/** What the handler needs; all passed in. */
export interface HttpDeps {
  sql: Sql;
  config:
    & Pick<Config, "node" | "logTz" | "source" | "httpToken">
    & Partial<Pick<Config, "database">>
    & {
      /** DNSA_HTTP_STATS_TOKEN: aggregates only (lib/privacy/http_access.ts). */
      httpStatsToken?: string | null;
    };
  metrics: MetricsRecorder;
  log: Logger;
  /** The dashboard's files by URL path (`/`, `/assets/app.js`, ...). */
  assets: ReadonlyMap<string, Asset>;
  now?: () => Date;
  /** Redacts addresses in the filters of the client-data access log (privacy modes). */
  redact?: (text: string) => string;
  /** Wrong tokens at /login per client address; the handler makes one when none is given. */
  loginLimiter?: LoginLimiter;
}

/** Where a request came from (Deno.serve's handler info); absent in tests that call directly. */
export interface RequestInfo {
  remoteAddr?: { hostname?: string };
}

const MAX_FORM_BYTES = 4096;

/** A handler for `Deno.serve`. */
export function createHandler(
  deps: HttpDeps,
): (req: Request, info?: RequestInfo) => Promise<Response> {
  const limiter = deps.loginLimiter ?? new LoginLimiter();
  return async (req, info) => {
    let res: Response;
    try {
      res = await route(req, deps, { limiter, client: info?.remoteAddr?.hostname ?? "" });
    } catch (error) {
      res = failure(error, deps, req);
    }
    deps.metrics.countResponse(res.status);
    if (req.method === "HEAD" && res.body) {
      res = new Response(null, { status: res.status, headers: res.headers });
    }
    return secure(res);
  };
}

function failure(error: unknown, deps: HttpDeps, req: Request): Response {
  const code = (error as { code?: unknown })?.code;
  const path = new URL(req.url).pathname;
  if (typeof code === "string") {
    deps.metrics.countDatabaseError();
    if (isTransientDbError(error)) {
      deps.log.warn("http: database unavailable", { path, code });
      return jsonError(503, "the database is not reachable; try again shortly");
    }
  }
  deps.log.error("http: request failed", {
    path,
    error: errorText(error),
    ...(typeof code === "string" ? { code } : {}),
  });
  return jsonError(500, "internal error (see the server log)");
}

async function route(
  req: Request,
  deps: HttpDeps,
  from: { limiter: LoginLimiter; client: string },
): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  const method = req.method === "HEAD" ? "GET" : req.method;
  const token = deps.config.httpToken;

  // Without a token the server listens on loopback only; a page elsewhere could still reach
  // it through a name that resolves to 127.0.0.1 (DNS rebinding): such a Host is refused.
  if (token === null && !isLoopbackHost(url.hostname)) {
    return jsonError(421, `host ${url.hostname} is not this server's loopback address`);
  }
  if (path === "/healthz") {
    if (method !== "GET") return notAllowed("GET, HEAD");
    return await healthz(deps);
  }
  if (path === "/login") return await login(req, method, deps, from);
  if (path.startsWith("/assets/")) {
    if (method !== "GET") return notAllowed("GET, HEAD");
    const asset = deps.assets.get(path);
    if (!asset) return text("not found\n", 404);
    return new Response(asset.body, {
      headers: { "content-type": asset.type, "cache-control": "no-cache" },
    });
  }
  const access = accessOf(req, deps.config);
  if (access === null) {
    if (path === "/" && method === "GET") return seeOther("/login");
    return json({ error: "unauthorized: send Authorization: Bearer <DNSA_HTTP_TOKEN>" }, 401, {
      "www-authenticate": 'Bearer realm="dns-analytics"',
    });
  }
  if (method !== "GET") return notAllowed("GET, HEAD");
  const denied = guardClientAccess(access, url, { log: deps.log, redact: deps.redact });
  if (denied) return denied;
  if (path === "/") {
    const page = deps.assets.get("/");
    if (!page) return text("the dashboard is not part of this build\n", 404);
    return new Response(page.body, { headers: { "content-type": page.type } });
  }
  if (path === "/metrics") {
    return text(await renderMetrics(deps), 200, TYPES.metrics);
  }
  const report = /^\/api\/reports\/([a-z0-9-]+)$/.exec(path);
  if (report) return await reportEndpoint(deps, url, report[1]);
  const searched = await searchEndpoint(deps, url);
  if (searched) return searched;
  switch (path) {
    case "/api/domain":
      return await domainEndpoint(deps, url);
    case "/api/client":
      return await clientEndpoint(deps, url);
    case "/api/nodes":
      return await nodesEndpoint(deps, url);
    case "/api/health":
      return await healthEndpoint(deps, url);
  }
  if (path.startsWith("/api/")) return jsonError(404, `no API endpoint ${path}`);
  return text("not found\n", 404);
}

function notAllowed(allow: string): Response {
  return new Response(JSON.stringify({ error: "method not allowed" }), {
    status: 405,
    headers: { "content-type": TYPES.json, allow },
  });
}

async function healthz(deps: HttpDeps): Promise<Response> {
  try {
    await deps.sql.unsafe(HTTP_SQL.ping);
    return text("ok");
  } catch (error) {
    deps.metrics.countDatabaseError();
    const code = (error as { code?: unknown })?.code;
    return text(`database unreachable${typeof code === "string" ? ` (${code})` : ""}`, 503);
  }
}

async function login(
  req: Request,
  method: string,
  deps: HttpDeps,
  from: { limiter: LoginLimiter; client: string },
): Promise<Response> {
  const token = deps.config.httpToken;
  const node = deps.config.node;
  if (method === "GET") {
    if (token === null) return seeOther("/");
    return html(loginPage({ node }));
  }
  if (method !== "POST") return notAllowed("GET, HEAD, POST");
  if (token === null) return seeOther("/");
  const wait = from.limiter.retryAfter(from.client);
  if (wait > 0) {
    await req.body?.cancel();
    return json({ error: "too many wrong tokens from this address; try again later" }, 429, {
      "retry-after": String(wait),
    });
  }
  const type = req.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    return jsonError(415, "send the form as application/x-www-form-urlencoded");
  }
  const body = await readLimited(req, MAX_FORM_BYTES);
  if (body === null) return jsonError(413, "form too large");
  const given = new URLSearchParams(body).get("token") ?? "";
  if (tokenAccess(given, deps.config) === null) {
    from.limiter.failed(from.client);
    deps.log.warn("http: wrong token at login", {});
    return html(loginPage({ node, failed: true }), 401);
  }
  return seeOther("/", { "set-cookie": tokenCookie(given, { secure: cameOverTls(req) }) });
}

/**
 * True when the browser reached us over TLS: an https request URL, or a reverse proxy that
 * says so (X-Forwarded-Proto or Forwarded proto=https). The header needs no trust here: it
 * only makes the cookie Secure, which a client can only do to its own cookie.
 */
function cameOverTls(req: Request): boolean {
  if (new URL(req.url).protocol === "https:") return true;
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  if (proto === "https") return true;
  return /(^|[;,\s])proto="?https"?($|[;,\s])/i.test(req.headers.get("forwarded") ?? "");
}

/** The request body as text, or null when it is longer than `max` bytes. */
async function readLimited(req: Request, max: number): Promise<string | null> {
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    if (size > max) return null;
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}
