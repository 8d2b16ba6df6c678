/**
 * Responses of the HTTP server: JSON, CSV, plain text and HTML with their real Content-Type,
 * and the security headers every response carries (nosniff, no referrer; HTML also the
 * strict Content-Security-Policy).
 *
 * @module
 */
import type postgres from "postgres";
import { formatInstant } from "../report.ts";
import type { ZoneClock } from "../time.ts";
import { csvLines } from "../csv.ts";

/** The Content-Security-Policy of every HTML response. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'";

/** Content types. */
export const TYPES = {
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  text: "text/plain; charset=utf-8",
  html: "text/html; charset=utf-8",
  metrics: "text/plain; version=0.0.4; charset=utf-8",
} as const;

/** Add the headers every response carries; HTML gets the CSP. */
export function secure(res: Response): Response {
  const h = res.headers;
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "no-referrer");
  if ((h.get("content-type") ?? "").startsWith("text/html")) {
    h.set("Content-Security-Policy", CSP);
    h.set("X-Frame-Options", "DENY");
  }
  if (!h.has("cache-control")) h.set("Cache-Control", "no-store");
  return res;
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": TYPES.json, ...headers },
  });
}

/** A JSON error `{"error": message}`. */
export function jsonError(status: number, message: string): Response {
  return json({ error: message }, status);
}

/** A plain-text response. */
export function text(body: string, status = 200, type: string = TYPES.text): Response {
  return new Response(body, { status, headers: { "content-type": type } });
}

/** An HTML response. */
export function html(body: string, status = 200, headers: HeadersInit = {}): Response {
  return new Response(body, { status, headers: { "content-type": TYPES.html, ...headers } });
}

/** A redirect (303 See Other: the next request is a GET). */
export function seeOther(location: string, headers: HeadersInit = {}): Response {
  return new Response(null, { status: 303, headers: { location, ...headers } });
}

/** A CSV download `<name>.csv`: a header row, then one line per row. */
export function csv(
  name: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Response {
  const lines = csvLines(columns, rows);
  const file = name.replace(/[^A-Za-z0-9._-]/g, "_");
  return new Response(lines.join("\r\n") + "\r\n", {
    headers: {
      "content-type": TYPES.csv,
      "content-disposition": `attachment; filename="${file}.csv"`,
    },
  });
}

/**
 * Rows of a query as plain values: bigint and numeric (strings from the driver) as numbers,
 * timestamps as ISO 8601 in `clock`'s zone.
 */
export function plainRows(
  result: postgres.RowList<postgres.Row[]>,
  clock: ZoneClock,
): Record<string, unknown>[] {
  const numeric = new Set(
    result.columns.filter((c) => c.type === 20 || c.type === 1700).map((c) => c.name),
  );
  return result.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (numeric.has(k) && typeof v === "string") out[k] = Number(v);
      else if (v instanceof Date) out[k] = formatInstant(v, clock);
      else out[k] = v;
    }
    return out;
  });
}
