/**
 * Start-up work that waits through database faults: serve (under systemd) opens its database,
 * migrates and registers its node while the database may be down, read-only after a failover
 * or full. Only a configuration error, or what `fatal` names, ends the wait.
 *
 * @module
 */
import { backoffMs } from "../backoff.ts";
import { errorText } from "../error_text.ts";
import { classifyFault, isTransientDbError } from "../fault.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../sleep.ts";
import type { Sql } from "./connect.ts";
import { acceptsWrites, renewSessions } from "./read_only.ts";

/** Options of {@linkcode retryAtStart}. */
export interface RetryAtStartOptions {
  /** Retry until this aborts; without it the first failure is thrown. */
  signal?: AbortSignal;
  log: Logger;
  /** Errors that need the operator, besides configuration errors. */
  fatal?: (error: unknown) => boolean;
}

/** Run `step` until it succeeds, waiting with backoff after each database fault. */
export async function retryAtStart<T>(
  sql: Sql,
  step: () => Promise<T>,
  options: RetryAtStartOptions,
): Promise<T> {
  for (let failures = 1;; failures++) {
    try {
      return await step();
    } catch (error) {
      const { signal } = options;
      const fault = classifyFault(error);
      if (!signal || signal.aborted || fault.kind === "fatal" || options.fatal?.(error)) {
        throw error;
      }
      const delayMs = backoffMs(failures);
      options.log.warn(
        isTransientDbError(error)
          ? "database unavailable at start, waiting"
          : "database fault at start, waiting",
        { error: errorText(error), reason: fault.reason, retry_in_ms: delayMs },
      );
      await sleep(delayMs, signal);
      // Sessions opened while the database was read-only stay so after it takes writes again.
      if (fault.code === "25006" && await acceptsWrites(sql)) await renewSessions(sql);
    }
  }
}
