/**
 * Opening the database: postgres.js against PostgreSQL, with the settings a long-running
 * ingestor needs (no notices on stdout, a fast connect timeout, an application name).
 *
 * @module
 */
import postgres from "postgres";
import type { Config } from "../config.ts";
import { describeDatabase } from "../config.ts";
import { NO_DELAY_OPTIONS } from "./socket.ts";
import { type PostgresConnection, postgresConnection, PostgresUrlError } from "./url.ts";

/** The postgres.js client type used throughout the program. */
export type Sql = postgres.Sql;

/** A transaction handle from `sql.begin`. */
export type Tx = postgres.TransactionSql;

/** Anything that runs queries: the pool or a transaction. */
export type Queryable = Sql | Tx;

/** Options of {@linkcode openDatabase}. */
export interface OpenDatabaseOptions {
  /** `application_name` seen in `pg_stat_activity`. */
  applicationName?: string;
  /** Pool size; ingest uses one connection for its transactions plus spares for reads. */
  max?: number;
}

/** The error of a database that cannot be opened (lib/db/database_error.ts). */
export { DatabaseError } from "./database_error.ts";
import { DatabaseError } from "./database_error.ts";

/** An open database: the client, whether it takes COPY, and how to close it. */
export interface Database {
  sql: Sql;
  /** COPY FROM STDIN works (PostgreSQL); the embedded database's socket cannot carry it. */
  copy: boolean;
  close(): Promise<void>;
}

/**
 * Open the configured database: PostgreSQL, or the embedded database (started here) when
 * no PostgreSQL is configured. Connections are lazy: the first query connects.
 */
export async function openDatabase(
  config: Config,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  if (config.database.kind === "embedded") {
    const { startEmbedded } = await import("./embedded.ts");
    const embedded = await startEmbedded(config.database.dataDir);
    const sql = postgres({
      host: embedded.host,
      port: embedded.port,
      user: "postgres",
      database: "postgres",
      max: 1,
      onnotice: () => {},
      connect_timeout: 10,
    });
    return {
      sql,
      copy: false,
      async close() {
        await sql.end({ timeout: 5 });
        await embedded.stop();
      },
    };
  }
  const sql = postgresClient(config.database.url, options);
  return {
    sql,
    copy: true,
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * `url` as postgres.js takes it (a unix socket directory as its `host`); a URL it cannot use
 * is a DatabaseError that does not repeat the URL (it may carry a password).
 */
function connection(url: string): PostgresConnection {
  try {
    return postgresConnection(url);
  } catch (error) {
    if (!(error instanceof PostgresUrlError)) throw error;
    throw new DatabaseError(`The database URL ${error.message}`);
  }
}

/**
 * A new pool of PostgreSQL connections to `url` with the program's settings (what
 * {@linkcode openDatabase} opens): for a process that lets a stalled pool go.
 */
export function postgresClient(url: string, options: OpenDatabaseOptions = {}): Sql {
  const c = connection(url);
  return postgres(c.url, {
    ...c.options,
    max: options.max ?? 6,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 60,
    connection: { application_name: options.applicationName ?? "dns-analytics" },
    ...NO_DELAY_OPTIONS,
    // Values we send are already strings or numbers; keep timestamptz as Date on reads.
  });
}

/**
 * A pool of PostgreSQL connections whose transactions are read-only
 * (`default_transaction_read_only`): what the HTTP server reads with, so no request can
 * write whatever the role may do. Connections are lazy.
 */
export function openReadOnlyPool(
  url: string,
  options: { applicationName?: string; max?: number } = {},
): Sql {
  const c = connection(url);
  return postgres(c.url, {
    ...c.options,
    max: options.max ?? 3,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 60,
    connection: {
      application_name: options.applicationName ?? "dns-analytics http",
      default_transaction_read_only: "on",
    } as Record<string, string>,
    ...NO_DELAY_OPTIONS,
  });
}

// The fault policy (lib/fault.ts) decides what pauses and what ends the program; the
// followers and the commit loop reach it through this module.
export { classifyFault, type Fault, isTransientDbError } from "../fault.ts";

/** Describe a connection failure with the target (never the password) and a next step. */
export function explainDbError(config: Config, err: unknown): string {
  const code = (err as { code?: string })?.code ?? "";
  const where = describeDatabase(config.database);
  const msg = err instanceof Error ? err.message : String(err);
  if (code === "ECONNREFUSED") {
    return `Cannot connect to ${where}: connection refused (is PostgreSQL running and listening there?)`;
  }
  if (code === "28P01" || code === "28000") {
    return `Cannot log in to ${where}: authentication failed (check DB_USER/DB_PASSWORD or DATABASE_URL)`;
  }
  if (code === "3D000") {
    return `Database in ${where} does not exist (create it: createdb, or see deploy/postgres-setup.sql)`;
  }
  if (code === "42501") {
    return `Permission denied on ${where}: ${msg} (grant the role the privileges of deploy/postgres-setup.sql)`;
  }
  return `Database error on ${where}: ${msg}${code ? ` (SQLSTATE/code ${code})` : ""}`;
}

/**
 * postgres.js 3.4 can throw, outside any promise, from its deferred socket write
 * (`nextWrite`) when the connection closes while a COPY is being written (the server
 * restarted): `Cannot read properties of null (reading 'write')`, or EPIPE `This socket has
 * been ended by the other party`. The batch that was writing has already failed and is
 * retried; only this stray exception would end the process. Swallow exactly those.
 */
export function guardCopyWriteRace(onSwallowed: (message: string) => void): () => void {
  const handler = (event: ErrorEvent) => {
    const err = event.error as { message?: string; stack?: string } | undefined;
    const msg = err?.message ?? "";
    const stack = err?.stack ?? "";
    if (
      (msg.includes("reading 'write'") || msg.includes("ended by the other party")) &&
      stack.includes("postgres") && stack.includes("nextWrite")
    ) {
      event.preventDefault();
      onSwallowed(msg);
    }
  };
  globalThis.addEventListener("error", handler);
  return () => globalThis.removeEventListener("error", handler);
}
