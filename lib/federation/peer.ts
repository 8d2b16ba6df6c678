/**
 * Federation peers: where their list comes from (DNSA_PEERS, and dns_nodes rows with a
 * `peer_url`), how a connection to one is opened (the password from the URL, else from
 * ~/.pgpass / PGPASSFILE), and how its errors are told without credentials.
 *
 * @module
 */
import { NO_DELAY_OPTIONS } from "../db/socket.ts";
import { parsePostgresUrl, postgresConnection } from "../db/url.ts";
import postgres from "postgres";
import type { Config } from "../config.ts";
import type { Sql } from "../db/connect.ts";
import { FEDERATION_SQL } from "./sql.ts";
import { errorText } from "../error_text.ts";
import { pgpassPassword } from "../pgpass.ts";

/** A peer to pull statistics from. `name` is only the connection label. */
export interface Peer {
  name: string;
  url: string;
  /** `config` (DNSA_PEERS) or `registry` (dns_nodes.peer_url). */
  source: "config" | "registry";
}

/** Every peer: DNSA_PEERS first; a registry peer of the same label is left out. */
export async function listPeers(sql: Sql, config: Readonly<Config>): Promise<Peer[]> {
  const peers: Peer[] = config.peers.map((p) => ({ ...p, source: "config" as const }));
  const rows = await sql.unsafe<{ peer_name: string; peer_url: string }[]>(
    FEDERATION_SQL.registryPeers,
  );
  for (const r of rows) {
    if (!peers.some((p) => p.name === r.peer_name)) {
      peers.push({ name: r.peer_name, url: r.peer_url, source: "registry" });
    }
  }
  return peers;
}

/**
 * Host, port, database, user and password of a postgres URL (URL-decoded); throws
 * PostgresUrlError, whose message never repeats the URL.
 */
export function urlParts(url: string): {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
} {
  const p = parsePostgresUrl(url);
  return {
    host: p.socketDir ?? p.host,
    port: p.port,
    database: p.database,
    user: p.user,
    password: p.password,
  };
}

/** A peer's address for messages: user@host:port/database, never the password. */
export function describePeer(peer: Peer): string {
  try {
    const p = urlParts(peer.url);
    return `${p.user}@${p.host}:${p.port}/${p.database}`;
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * The text of an error from a peer, with no credential in it: connection strings redacted,
 * and the peer's password removed wherever it might appear.
 */
export function peerErrorText(error: unknown, peer: Peer): string {
  let text = errorText(error);
  let password = "";
  try {
    password = urlParts(peer.url).password;
  } catch { /* unparseable URL: nothing to remove */ }
  if (password.length > 0) text = text.split(password).join("***");
  const code = (error as { code?: unknown })?.code;
  return `peer "${peer.name}" (${describePeer(peer)}): ${text}` +
    (typeof code === "string" && !text.includes(code) ? ` [${code}]` : "");
}

/** Open a small client to `peer` (lazy: the first query connects). */
export async function openPeer(
  peer: Peer,
  options: { env: Record<string, string | undefined> },
): Promise<Sql> {
  const parts = urlParts(peer.url);
  const pass = parts.password ||
    await pgpassPassword(parts, { env: options.env }) ||
    undefined;
  const c = postgresConnection(peer.url);
  return postgres(c.url, {
    ...c.options,
    max: 1,
    pass,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 30,
    connection: { application_name: "dns-analytics federate" },
    ...NO_DELAY_OPTIONS,
  });
}
