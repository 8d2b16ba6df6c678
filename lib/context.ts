/**
 * The context every job receives: configuration, database, logger, this node's id.
 *
 * @module
 */
import { backoffMs } from "./backoff.ts";
import type { Config } from "./config.ts";
import { isTransientDbError, openDatabase, type Sql } from "./db/connect.ts";
import { migrate } from "./db/migrate.ts";
import { INGEST_SQL } from "./db/statements.ts";
import { errorText } from "./error_text.ts";
import type { Logger } from "./log.ts";
import { sleep } from "./sleep.ts";
import { recordNodeMeta } from "./nodes.ts";

/** What a job needs; passed in, never global. */
export interface JobContext {
  config: Readonly<Config>;
  sql: Sql;
  /** The database takes COPY FROM STDIN (false on the embedded database). */
  copy: boolean;
  log: Logger;
  /** Close the database; idempotent. */
  close(): Promise<void>;
}

/** Open the database, apply pending migrations, and return the job context. */
export async function openContext(
  config: Readonly<Config>,
  log: Logger,
  options: {
    applicationName?: string;
    /** Wait (with backoff) for a database that is not reachable yet, until this aborts. */
    waitForDatabase?: AbortSignal;
    /** Apply pending migrations (default); false for a read replica. */
    migrate?: boolean;
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
  for (let attempt = 0; options.migrate !== false; attempt++) {
    try {
      const result = await migrate(sql, { seed: { node: config.node, tz: config.logTz } });
      if (result.applied.length > 0) log.info("migrations applied", { applied: result.applied });
      if (result.seed) log.info("seed tables converted", { ...result.seed });
      await recordNodeMeta(sql, config).catch((error) => {
        // A role that may only read (reports) leaves the registry to serve.
        if ((error as { code?: string }).code !== "42501") throw error;
      });
      break;
    } catch (error) {
      const wait = options.waitForDatabase;
      if (!wait || wait.aborted || !isTransientDbError(error)) {
        await close();
        throw error;
      }
      const delayMs = Math.round(backoffMs(attempt));
      log.warn("database unavailable at start, waiting", {
        error: errorText(error),
        retry_in_ms: delayMs,
      });
      await sleep(delayMs, wait);
    }
  }
  return { config, sql, copy: db.copy, log, close };
}

/** The node_id of `name` in this database, registering the node on first use. */
export async function nodeIdOf(sql: Sql, name: string): Promise<number> {
  const [row] = await sql.unsafe<{ node_id: number }[]>(INGEST_SQL.nodeUpsert, [name]);
  return row.node_id;
}
