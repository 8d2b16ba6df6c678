/**
 * PostgreSQL connection URLs: parsed and checked here, before postgres.js sees them, so a
 * malformed URL is reported by the key that holds it and never echoed (it may carry a
 * password); and a unix socket directory (libpq's `?host=/var/run/postgresql`, what the
 * seed's `DB_HOST=/var/run/postgresql` becomes) is given to postgres.js as its socket.
 *
 * @example
 * ```ts
 * const parts = parsePostgresUrl("postgres://u:pw@/dns?host=/var/run/postgresql");
 * console.log(parts.socketDir); // "/var/run/postgresql"
 * ```
 * @module
 */

/** A URL that cannot be used; the message says what is wrong, never the URL itself. */
export class PostgresUrlError extends Error {
  override name = "PostgresUrlError";
}

/** What a postgres URL names (URL-decoded). */
export interface PostgresUrlParts {
  /** Host name or address (for a socket: `localhost`, as libpq says it). */
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** The unix socket directory when the URL names one (`?host=/dir` or a host that is a path). */
  socketDir: string | null;
}

const SCHEME = /^postgres(ql)?:\/\//;

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new PostgresUrlError(`the ${what} has a malformed %-escape`);
  }
}

/** `url` as a WHATWG URL: the first of several hosts, an empty host as localhost. */
function whatwgUrl(url: string): URL {
  if (!SCHEME.test(url)) throw new PostgresUrlError("must start with postgres:// or postgresql://");
  const scheme = url.slice(0, url.indexOf("://") + 3);
  const rest = url.slice(scheme.length);
  const authority = rest.split(/[/?#]/)[0];
  const at = authority.lastIndexOf("@");
  // An empty host is the default host (libpq); WHATWG URLs want one: parse with localhost.
  const firstHost = authority.slice(at + 1).split(",")[0] || "localhost";
  try {
    return new URL(scheme + authority.slice(0, at + 1) + firstHost + rest.slice(authority.length));
  } catch {
    throw new PostgresUrlError(
      "is not a valid URL (check the host and the port, a number from 1 to 65535; " +
        "characters such as @ : / # ? in the user or password must be %-encoded)",
    );
  }
}

/**
 * Parse a `postgres://` or `postgresql://` URL as libpq and postgres.js read it: an empty host
 * means the default (`postgres://u@/db?host=/run/postgresql`), several `host:port` pairs are
 * allowed (the first is checked), `?host=` and `?port=` override. Throws
 * {@linkcode PostgresUrlError}, whose message never contains the URL.
 */
export function parsePostgresUrl(url: string): PostgresUrlParts {
  const u = whatwgUrl(url);
  const hostParam = u.searchParams.get("host");
  const portParam = u.searchParams.get("port");
  const host = decode(u.hostname.replace(/^\[|\]$/g, ""), "host");
  const port = Number(portParam ?? (u.port || 5432));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PostgresUrlError("the port must be a number from 1 to 65535");
  }
  const socketDir = hostParam?.startsWith("/") ? hostParam : host.startsWith("/") ? host : null;
  return {
    host: socketDir ? "localhost" : hostParam || host || "localhost",
    port,
    database: decode(u.pathname.slice(1), "database name") || "postgres",
    user: decode(u.username, "user name") || "postgres",
    password: decode(u.password, "password"),
    socketDir,
  };
}

/** What to give postgres.js: the URL, and options that override what it would read there. */
export interface PostgresConnection {
  url: string;
  /** `host` and `port` for postgres.js (a list for IPv6); typed loosely as its types say string. */
  options: Record<string, unknown>;
}

/**
 * The URL and the options to give postgres.js for `url`. For a unix socket: the URL without
 * its `host`/`port` parameters (postgres.js would send them to the server as settings) and
 * `host` = the socket directory. For an IPv6 address: the host and port as lists, since
 * postgres.js splits a host string at its first `:`.
 */
export function postgresConnection(url: string): PostgresConnection {
  const parts = parsePostgresUrl(url);
  if (parts.socketDir !== null) {
    const q = url.indexOf("?");
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    query.delete("host");
    query.delete("port");
    // postgres.js parses the URL with WHATWG's parser, which refuses a user without a host
    // (`postgres://u@/d`): the socket is its `host` option, so the URL's host is a placeholder.
    const base = withHost(q < 0 ? url : url.slice(0, q));
    const rest = query.toString();
    return {
      url: rest ? `${base}?${rest}` : base,
      options: { host: parts.socketDir, port: parts.port },
    };
  }
  if (parts.host.includes(":")) {
    return { url, options: { host: [parts.host], port: [parts.port] } };
  }
  return { url, options: {} };
}

/** `url` (no query) with `localhost` for an empty host. */
function withHost(url: string): string {
  const start = url.indexOf("://") + 3;
  const slash = url.indexOf("/", start);
  const authority = slash < 0 ? url.slice(start) : url.slice(start, slash);
  if (authority.slice(authority.lastIndexOf("@") + 1) !== "") return url;
  return url.slice(0, start) + authority + "localhost" + (slash < 0 ? "" : url.slice(slash));
}

/**
 * `url` for messages: the password replaced by `***` (also a `password` parameter), a socket
 * directory shown as a path. An unparseable URL is not shown at all.
 */
export function redactPostgresUrl(url: string): string {
  let u: URL;
  try {
    parsePostgresUrl(url);
    u = whatwgUrl(url);
  } catch {
    return "postgres://(unparseable URL)";
  }
  if (u.password) u.password = "***";
  u.searchParams.delete("password");
  return u.toString().replace(/([?&]host=)(%2F[^&#]*)/, (_, k, v) => k + decodeURIComponent(v));
}
