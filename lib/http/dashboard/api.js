// The dashboard's view of the URL (hash routes) and of the JSON API.
//
// Routes: #/ (overview), #/domain/<name>, #/client/<address>, #/queries (the query log, with
// the search filters client=, domain=, apex=, qtype=, rcode=, transport=), each with a query
// string: days=N | from=YYYY-MM-DD&to=YYYY-MM-DD, node=a,b.
// Example: #/domain/example.com?days=30&node=dns1, #/queries?client=10.10.10.0/24&rcode=REFUSED

/** The filters of the query log, as URL parameters of #/queries and /api/queries. */
export const QUERY_FILTERS = ["client", "domain", "apex", "qtype", "rcode", "transport"];

/** An error of an API call; `status` 401 means "sign in". */
export class ApiError extends Error {
  constructor(message, status, url) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.url = url;
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A route: the view, its subject, the range and the node filter.
 * @typedef {{ view: string, name: string | null,
 *   range: { days?: number, from?: string, to?: string }, nodes: string[],
 *   location?: string, network?: string }} Route
 */

/**
 * The route in location.hash.
 * @param {string} hash
 * @returns {Route}
 */
export function parseRoute(hash) {
  const raw = hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const parts = path.split("/").filter(Boolean);
  let view = "overview", name = null;
  if (parts[0] === "queries") view = "queries";
  if ((parts[0] === "domain" || parts[0] === "client") && parts.length > 1) {
    view = parts[0];
    try {
      name = decodeURIComponent(parts.slice(1).join("/"));
    } catch {
      name = parts.slice(1).join("/");
    }
  }
  let range = { days: 7 };
  const from = params.get("from"), to = params.get("to"), days = Number(params.get("days"));
  if (from && to && DATE.test(from) && DATE.test(to)) range = { from, to };
  else if (Number.isInteger(days) && days >= 1 && days <= 36500) range = { days };
  const nodes = (params.get("node") ?? "").split(",").map((n) => n.trim()).filter(Boolean);
  // The nodes at one location (dns_nodes.location) or in one network: #/?location=home,
  // #/?network=10.10.10.0/24
  const place = params.get("location")?.trim();
  const network = params.get("network")?.trim();
  const route = { view, name, range, nodes };
  if (place) route.location = place;
  if (network) route.network = network;
  if (view !== "queries") return route;
  const filters = {};
  for (const k of QUERY_FILTERS) {
    const v = params.get(k);
    if (v) filters[k] = v;
  }
  return { ...route, filters };
}

/**
 * The hash of a route (the inverse of parseRoute).
 * @param {{ view?: string, name?: string | null, range: Route["range"], nodes?: string[] }} route
 */
export function routeHash(
  { view = "overview", name = null, range, nodes = [], location, network, filters = {} },
) {
  const path = view === "overview"
    ? "/"
    : view === "queries"
    ? "/queries"
    : `/${view}/${encodeURIComponent(name ?? "")}`;
  const q = rangeParams(range, nodes);
  if (location) q.set("location", location);
  if (network) q.set("network", network);
  if (view === "queries") {
    for (const k of QUERY_FILTERS) if (filters[k]) q.set(k, filters[k]);
  }
  const qs = q.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

/** The query log of `route`'s range and nodes with `filters` (a top-list row's log link). */
export function queriesHash(route, filters) {
  return routeHash({ ...route, view: "queries", name: null, filters });
}

/** Range and node filter as API query parameters. */
export function rangeParams(range, nodes = []) {
  const q = new URLSearchParams();
  if (range.from) {
    q.set("from", range.from);
    q.set("to", range.to);
  } else q.set("days", String(range.days));
  if (nodes.length > 0) q.set("node", nodes.join(","));
  return q;
}

/** Number of days a range covers. */
export function rangeDays(range) {
  if (!range.from) return range.days;
  return Math.round(
    (Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) /
      86_400_000,
  ) + 1;
}

/** An API URL: path plus the range/node parameters and `extra` ones. */
export function apiUrl(path, route, extra = {}) {
  const q = rangeParams(route.range, route.nodes);
  if (route.location) q.set("location", route.location);
  if (route.network) q.set("network", route.network);
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return `${path}?${q}`;
}

/** The same URL asking for CSV. */
export function csvUrl(url) {
  return `${url}${url.includes("?") ? "&" : "?"}format=csv`;
}

/** GET a JSON document; throws ApiError with the server's message. */
export async function getJson(url, signal) {
  let res;
  try {
    res = await fetch(url, {
      credentials: "same-origin",
      headers: { accept: "application/json" },
      signal,
    });
  } catch (e) {
    if (e?.name === "AbortError") throw e;
    throw new ApiError(`${url}: the server cannot be reached (${e?.message ?? e})`, 0, url);
  }
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const body = await res.json();
      if (body && typeof body.error === "string") detail = body.error;
    } catch { /* not JSON */ }
    throw new ApiError(`${url}: ${res.status} ${detail}`, res.status, url);
  }
  return await res.json();
}

const ZONE_FORMATS = new Map();

function zoneFormat(tz) {
  if (!ZONE_FORMATS.has(tz)) {
    let f = null;
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    } catch { /* unknown zone: UTC */ }
    ZONE_FORMATS.set(tz, f);
  }
  return ZONE_FORMATS.get(tz);
}

/** Offset of zone `tz` from UTC at instant `t` (ms), in ms. */
export function zoneOffset(t, tz) {
  const f = zoneFormat(tz);
  if (!f) return 0;
  const v = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant (ms) of midnight starting day `date` (YYYY-MM-DD) in zone `tz`. */
export function zoneMidnight(date, tz) {
  const wall = Date.parse(`${date}T00:00:00Z`);
  let t = wall - zoneOffset(wall, tz);
  t = wall - zoneOffset(t, tz);
  return t;
}

/** The day after `date` (YYYY-MM-DD). */
export function nextDay(date) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
