/**
 * The context every job receives: configuration, database, logger, this node's id.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { openDatabase, type Sql } from "./db/connect.ts";
import { migrate, MigrationError } from "./db/migrate.ts";
import { retryAtStart } from "./db/start_retry.ts";
import { SeedConversionError } from "./seed/convert.ts";
import { INGEST_SQL } from "./db/statements.ts";
import type { Logger } from "./log.ts";
import { recordNodeMeta } from "./nodes.ts";

/** What a job needs; passed in, never global. */
export interface JobContext {
  config: Readonly<Config>;
  sql: Sql;
  /** The database takes COPY FROM STDIN (false on the embedded database). */
  copy: boolean;
  log: Logger;
  /**
   * Set when the command starts while the migrations are still being applied (database mode
   * `migrating`, lib/cli.ts): settles once they are (and the node is recorded), rejecting
   * with what stopped them. The command uses `sql` only after it, and awaits it before it
   * ends; absent = the database is ready.
   */
  ready?: Promise<void>;
  /** Close the database; idempotent. */
  close(): Promise<void>;
}

/**
 * Open the database, apply pending migrations, and return the job context; with `background`,
 * return it at once and apply them meanwhile (see {@linkcode JobContext.ready}).
 */
export async function openContext(
  config: Readonly<Config>,
  log: Logger,
  options: {
    applicationName?: string;
    /** Wait (with backoff) for a database that is not reachable yet, until this aborts. */
    waitForDatabase?: AbortSignal;
    /** Apply pending migrations (default); false for a read replica. */
    migrate?: boolean;
    /** Return before the migrations are applied: `ready` settles when they are. */
    background?: boolean;
  } = {},
): Promise<JobContext> {
  const db = await openDatabase(config, { applicationName: options.applicationName });
  const sql = db.sql;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await db.close();
  };
  const prepare = (): Promise<void> => {
    // serve waits through every database fault (unreachable, read-only, disk full…); a
    // changed migration or a seed database that cannot be converted needs the operator.
    return retryAtStart(sql, async () => {
      const result = await migrate(sql, { seed: { node: config.node, tz: config.logTz } });
      if (result.applied.length > 0) log.info("migrations applied", { applied: result.applied });
      if (result.seed) log.info("seed tables converted", { ...result.seed });
      await recordNodeMeta(sql, config).catch((error) => {
        // A role that may only read (reports) leaves the registry to serve.
        if ((error as { code?: string }).code !== "42501") throw error;
      });
    }, {
      signal: options.waitForDatabase,
      log,
      fatal: (error: unknown) =>
        error instanceof MigrationError || error instanceof SeedConversionError,
    }).catch(async (error: unknown) => {
      await close();
      throw error;
    });
  };
  if (options.migrate === false) return { config, sql, copy: db.copy, log, close };
  if (!options.background) {
    await prepare();
    return { config, sql, copy: db.copy, log, close };
  }
  const ready = prepare();
  ready.catch(() => {}); // the command awaits it; a failure is its to report
  return { config, sql, copy: db.copy, log, ready, close };
}

/** The node_id of `name` in this database, registering the node on first use. */
export async function nodeIdOf(sql: Sql, name: string): Promise<number> {
  const [row] = await sql.unsafe<{ node_id: number }[]>(INGEST_SQL.nodeUpsert, [name]);
  return row.node_id;
}
