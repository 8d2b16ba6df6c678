/**
 * The demo's configuration: the program's configuration pointed at a temporary directory, so
 * `serve` runs unchanged on it: an embedded database in `data/`, the simulated logs in `log/`,
 * node `demo`, the query logs as the source, no peers and no other databases.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config.ts";

/** `config` for a demo in `dir`; the logs are polled every `pollMs`. */
export function demoConfiguration(
  config: Readonly<Config>,
  dir: string,
  options: { pollMs: number },
): Readonly<Config> {
  return Object.freeze({
    ...config,
    database: { kind: "embedded" as const, dataDir: join(dir, "data") },
    dataDir: join(dir, "data"),
    node: "demo",
    source: "querylog" as const,
    queryLog: join(dir, "log", "queries.log"),
    errorLog: join(dir, "log", "query-errors.log"),
    dnstap: null,
    namedStats: null,
    pollMs: options.pollMs,
    httpDatabaseUrl: null,
    readDatabaseUrl: null,
    peers: [],
  });
}
