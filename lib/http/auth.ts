/**
 * Token authentication of the HTTP server: `Authorization: Bearer <token>` or the cookie
 * `dnsa_token` that `POST /login` sets (HttpOnly, SameSite=Strict). Tokens are compared in
 * constant time (SHA-256 of both sides, then `timingSafeEqual`, so neither the content nor
 * the length leaks through timing). The login page is the only HTML made here; everything in
 * it that comes from outside is escaped.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** The cookie that carries the token. */
export const TOKEN_COOKIE = "dnsa_token";

/** True when `given` equals `expected`, in time independent of where they differ. */
export function tokenEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

/** True when `req` carries `token` as a bearer token or in the cookie. */
export function isAuthorized(req: Request, token: string): boolean {
  const auth = req.headers.get("authorization");
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  if (m && tokenEquals(m[1], token)) return true;
  const cookie = cookieValue(req.headers.get("cookie"), TOKEN_COOKIE);
  return cookie !== null && tokenEquals(cookie, token);
}

/** The Set-Cookie value that stores `token` in the browser; `Secure` when it came over TLS. */
export function tokenCookie(token: string, options: { secure?: boolean } = {}): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` +
    (options.secure ? "; Secure" : "");
}

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/**
 * The login form (field `token`, POST to /login). No inline style or script: the CSP forbids
 * them; it takes the dashboard's stylesheet.
 */
export function loginPage(options: { node: string; failed?: boolean }): string {
  const message = options.failed
    ? `<p class="login-error" role="alert">That token is not right. Try again.</p>\n`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dns-analytics: sign in (${escapeHtml(options.node)})</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
</head>
<body class="login">
<main>
<h1>dns-analytics on ${escapeHtml(options.node)}</h1>
${message}<form method="post" action="/login">
<label for="token">Access token (DNSA_HTTP_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}
