/**
 * Parsers of single configuration values (lib/config.ts composes them): the env file, postgres
 * URLs and the seed's DB_HOST, federation peers, listen and resolver addresses, the dnstap
 * target. Each throws a {@linkcode ConfigError} that names the key, never a secret value.
 *
 * @module
 */
import { isIP } from "node:net";
import { ConfigError } from "./config_error.ts";
import { parsePostgresUrl, PostgresUrlError } from "./db/url.ts";

/** A node name: letters, digits, `.`, `_`, `-`; at most 63 characters. */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * DNSA_DNSTAP: `unix:/run/dns-analytics/dnstap.sock` is a socket to listen on; anything else
 * (`/var/log/named/dnstap.fstrm`, optionally `file:` before it) a file to follow. Nothing is
 * guessed from what exists at the path or from its name.
 */
export function parseDnstapTarget(
  value: string | undefined,
): { dnstap: string | null; dnstapKind: "socket" | "file" | null } {
  if (value === undefined) return { dnstap: null, dnstapKind: null };
  const m = /^(unix|file):(.*)$/.exec(value);
  const path = (m ? m[2] : value).trim();
  if (path === "") {
    throw new ConfigError(`DNSA_DNSTAP=${value}: a path must follow "${m?.[1]}:"`);
  }
  return { dnstap: path, dnstapKind: m?.[1] === "unix" ? "socket" : "file" };
}

export function isTimeZone(tz: string): boolean {
  if (tz === "UTC" || tz === "Etc/UTC") return true; // without loading the zone data
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parse `KEY=VALUE` lines (comments, blank lines, `export `, single or double quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    out[m[1]] = value;
  }
  return out;
}

/**
 * Check a postgres URL of configuration key `key`; the message names the key and what is
 * wrong, never the value (it may carry a password).
 */
export function checkPostgresUrl(key: string, url: string): string {
  try {
    parsePostgresUrl(url);
  } catch (error) {
    if (!(error instanceof PostgresUrlError)) throw error;
    throw new ConfigError(`${key}: ${error.message}`);
  }
  return url;
}

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/** DB_HOST as the host part of a URL, or null for a unix socket directory; throws ConfigError. */
export function dbHostPart(host: string): string | null {
  if (host.startsWith("/")) return null;
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (bare.includes(":") && IPV6.test(bare) && URL.canParse(`http://[${bare}]/`)) {
    return `[${bare}]`;
  }
  if (HOST_NAME.test(host)) return host;
  throw new ConfigError(
    "DB_HOST: must be a host name or an address without a port (the port goes in DB_PORT), " +
      "or a unix socket directory such as /var/run/postgresql",
  );
}

/** DNSA_PEERS: `name=postgres://…` entries, comma-separated. */
export function parsePeers(text: string | undefined): Array<{ name: string; url: string }> {
  if (!text) return [];
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((entry) => {
    const eq = entry.indexOf("=");
    const name = eq > 0 ? entry.slice(0, eq).trim() : "";
    const url = eq > 0 ? entry.slice(eq + 1).trim() : "";
    if (!NODE_NAME.test(name) || !/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError(
        "DNSA_PEERS: each entry must be name=postgres://user:password@host/db, comma-separated " +
          `(entry ${JSON.stringify(name || "?")} is not)`,
      );
    }
    return { name, url: checkPostgresUrl(`DNSA_PEERS (the URL of ${name})`, url) };
  });
}

/** DNSA_HTTP: `HOST:PORT` (port 0: a free port). */
export function parseListen(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(":");
  const host = text.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(text.slice(i + 1));
  // Port 0 asks the system for a free port (tests, several instances on one machine).
  if (port < 0 || port > 65535) throw new ConfigError("DNSA_HTTP: the port must be 0-65535");
  return { host, port };
}

/** `127.0.0.1`, `127.0.0.1:5353`, `[::1]:53` or `::1` as Deno.resolveDns's nameServer. */
export function parseResolver(text: string): { ipAddr: string; port: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(text);
  const [ipAddr, port] = bracket
    ? [bracket[1], bracket[2]]
    : v4
    ? [v4[1], v4[2]]
    : [text, undefined];
  const n = port === undefined ? 53 : Number(port);
  if (!isIP(ipAddr) || n < 1 || n > 65535) {
    throw new ConfigError(
      `DNSA_PTR_RESOLVER: ${JSON.stringify(text)} is not an address with an optional port`,
    );
  }
  return { ipAddr, port: n };
}

/** True for a loopback listen host: 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return m !== null && Number(m[1]) === 127 && m.slice(2).every((x) => Number(x) <= 255);
}
