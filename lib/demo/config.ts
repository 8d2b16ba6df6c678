/**
 * The demo's configuration: the program's configuration pointed at a temporary directory, so
 * `serve` runs unchanged on it: an embedded database in `data/`, the simulated logs in `log/`,
 * node `demo`, no peers and no other databases. The source is the query logs, or dnstap: the
 * file `log/dnstap.fstrm` or the socket `log/dnstap.sock`; named's statistics channel is the
 * demo's simulated one.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config.ts";

/** `config` for a demo in `dir`; the logs are polled every `pollMs`. */
export function demoConfiguration(
  config: Readonly<Config>,
  dir: string,
  options: {
    pollMs: number;
    /** The source serve reads (default querylog). */
    source?: "querylog" | "dnstap";
    /** How named writes dnstap (`dnstap-output file|unix`), default file. */
    dnstapOutput?: "file" | "unix";
    /** The simulated statistics channel's URL (DNSA_NAMED_STATS). */
    namedStats?: string | null;
  },
): Readonly<Config> {
  const dnstap = options.source === "dnstap";
  const socket = options.dnstapOutput === "unix";
  return Object.freeze({
    ...config,
    database: { kind: "embedded" as const, dataDir: join(dir, "data") },
    dataDir: join(dir, "data"),
    node: "demo",
    source: dnstap ? "dnstap" as const : "querylog" as const,
    queryLog: join(dir, "log", "queries.log"),
    errorLog: join(dir, "log", "query-errors.log"),
    dnstap: dnstap ? join(dir, "log", socket ? "dnstap.sock" : "dnstap.fstrm") : null,
    dnstapKind: dnstap ? (socket ? "socket" as const : "file" as const) : null,
    namedStats: options.namedStats ?? null,
    pollMs: options.pollMs,
    httpDatabaseUrl: null,
    readDatabaseUrl: null,
    peers: [],
  });
}
