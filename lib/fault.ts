/**
 * The fault policy, in one place: only a configuration or usage error ends the program; every
 * database or source fault pauses reading, is retried with bounded backoff and jitter, is
 * visible (`/metrics`, one log line per change of state, `doctor`), and reading resumes where
 * the last commit ended, so nothing is lost and nothing is stored twice.
 *
 * {@linkcode classifyFault} decides; {@linkcode FaultBoard} holds the paused state of each
 * source of a running `serve` for `/metrics` and logs its changes.
 *
 * @example
 * ```ts
 * const board = new FaultBoard();
 * const fault = classifyFault(Object.assign(new Error("disk full"), { code: "53100" }));
 * // fault.kind === "pause", fault.reason === "disk_full"
 * board.pause("querylog", fault, { log, retryInMs: 1000 });
 * board.resume("querylog", { log });
 * ```
 * @module
 */
import { UsageError } from "./cli.ts";
import { ConfigError } from "./config.ts";
import type { Logger } from "./log.ts";

/** What a fault does: `fatal` ends the program, `pause` stops reading until a retry works. */
export type FaultKind = "fatal" | "pause";

/** A classified error. */
export interface Fault {
  kind: FaultKind;
  /** A short constant for labels and logs: `disk_full`, `read_only`, `connection_lost`… */
  reason: string;
  /** SQLSTATE or the client's error code, when there is one. */
  code: string | null;
  /** True when the server was unreachable or restarting (no SQL error at all). */
  transient: boolean;
  /** The error's message (never a connection string: postgres.js does not put one there). */
  message: string;
}

/** Client-side codes of postgres.js and the network meaning the server is unreachable. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** SQLSTATEs of a server that is going away or refusing connections for now. */
const RESTART_CODES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/** SQLSTATEs with a reason of their own (the rest is `database_error` or its class). */
const REASONS: Record<string, string> = {
  "53100": "disk_full",
  "53200": "out_of_memory",
  "53300": "too_many_connections",
  "57014": "statement_timeout",
  "25006": "read_only",
  "42P01": "relation_missing",
  "42883": "function_missing",
  "42501": "permission_denied",
  "23514": "partition_missing",
  "28P01": "authentication_failed",
  "28000": "authentication_failed",
  "3D000": "database_missing",
  "57P01": "server_restarting",
  "57P02": "server_restarting",
  "57P03": "server_restarting",
  "40001": "serialization_failure",
  "40P01": "deadlock",
  "55P03": "lock_not_available",
  "58030": "io_error",
  "XX000": "internal_error",
};

/** SQLSTATE classes with a reason when the code has none of its own. */
const CLASS_REASONS: Record<string, string> = {
  "08": "connection_lost",
  "53": "insufficient_resources",
  "54": "program_limit",
  "57": "operator_intervention",
  "58": "system_error",
  "XX": "internal_error",
};

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * True for errors that mean "the server is unreachable or restarting". Such a failure can
 * also hide the outcome of a COMMIT, so the next attempt reads the checkpoint back first.
 */
export function isTransientDbError(error: unknown): boolean {
  const code = codeOf(error);
  if (code === null) return false;
  return CONNECTION_CODES.has(code) || RESTART_CODES.has(code) || code.startsWith("08");
}

/**
 * Classify `error` by the policy: a {@linkcode ConfigError} or {@linkcode UsageError} is
 * fatal; everything else (any SQLSTATE, a lost connection, a checkpoint conflict with another
 * process, an I/O error of a source) pauses reading and is retried.
 */
export function classifyFault(error: unknown): Fault {
  const code = codeOf(error);
  const message = messageOf(error);
  if (error instanceof ConfigError || error instanceof UsageError) {
    return { kind: "fatal", reason: "configuration", code, transient: false, message };
  }
  const transient = isTransientDbError(error);
  const name = (error as { name?: unknown })?.name;
  let reason: string;
  if (name === "CheckpointConflictError") reason = "checkpoint_conflict";
  else if (code !== null && CONNECTION_CODES.has(code)) reason = "connection_lost";
  else if (code !== null && REASONS[code]) reason = REASONS[code];
  else if (code !== null && /^[0-9A-Z]{5}$/.test(code)) {
    reason = CLASS_REASONS[code.slice(0, 2)] ?? "database_error";
  } else if (error instanceof Deno.errors.PermissionDenied) reason = "permission_denied";
  else if (error instanceof Deno.errors.NotFound) reason = "not_found";
  else if (error instanceof Error && "errno" in error) reason = "io_error";
  else reason = "unexpected_error";
  return { kind: "pause", reason, code, transient, message };
}

/** The paused state of one source. */
export interface SourceState {
  paused: boolean;
  /** Reason of the current pause (or the last one, after it resumed). */
  reason: string | null;
  code: string | null;
  message: string | null;
  /** Epoch ms the current pause began; null while reading. */
  since: number | null;
  /** Pauses since start. */
  pauses: number;
  /** Failed attempts since start (every retry of every pause). */
  failures: number;
}

/** What a source reports to its board: bound to one source name and a logger. */
export interface FaultReporter {
  /** A fault happened; reading waits `retryInMs` before trying again. */
  pause(fault: Fault, retryInMs: number): void;
  /** An attempt worked: reading goes on. */
  resume(): void;
}

/**
 * The paused state of every source (`querylog`, `dnstap`) of one process. Each change of
 * state (paused, reason changed, resumed) is logged once; `/metrics` reads {@linkcode states}.
 */
export class FaultBoard {
  readonly #states = new Map<string, SourceState>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** The state of every source seen so far, by name. */
  states(): ReadonlyMap<string, Readonly<SourceState>> {
    return this.#states;
  }

  /** Make sure `source` is listed (as reading) before its first fault. */
  register(source: string): void {
    this.#stateOf(source);
  }

  /** Record a fault of `source`; logs when it was reading or its reason changed. */
  pause(source: string, fault: Fault, options: { log: Logger; retryInMs: number }): void {
    const s = this.#stateOf(source);
    s.failures++;
    const changed = !s.paused || s.reason !== fault.reason;
    if (!s.paused) {
      s.pauses++;
      s.since = this.#now();
    }
    s.paused = true;
    s.reason = fault.reason;
    s.code = fault.code;
    s.message = fault.message;
    if (changed) {
      options.log.warn(
        fault.transient ? "database unavailable, reading paused" : "database fault, reading paused",
        {
          source,
          reason: fault.reason,
          code: fault.code,
          error: fault.message,
          retry_in_ms: options.retryInMs,
          hint: hintOf(fault.reason),
        },
      );
    }
  }

  /** `source` works again; logs when it was paused. */
  resume(source: string, options: { log: Logger }): void {
    const s = this.#stateOf(source);
    if (!s.paused) return;
    const pausedMs = this.#now() - (s.since ?? this.#now());
    s.paused = false;
    s.since = null;
    options.log.info("reading resumed", {
      source,
      after_reason: s.reason,
      paused_ms: pausedMs,
    });
  }

  /** A {@linkcode FaultReporter} for `source` that logs to `log`. */
  reporter(source: string, log: Logger): FaultReporter {
    this.register(source);
    return {
      pause: (fault, retryInMs) => this.pause(source, fault, { log, retryInMs }),
      resume: () => this.resume(source, { log }),
    };
  }

  #stateOf(source: string): SourceState {
    let s = this.#states.get(source);
    if (!s) {
      s = {
        paused: false,
        reason: null,
        code: null,
        message: null,
        since: null,
        pauses: 0,
        failures: 0,
      };
      this.#states.set(source, s);
    }
    return s;
  }
}

/** What an operator can do about a pause, by reason. */
export function hintOf(reason: string): string {
  switch (reason) {
    case "disk_full":
      return "the database server's disk is full: free space; reading resumes by itself";
    case "out_of_memory":
      return "the database server is out of memory; reading resumes when it has memory again";
    case "statement_timeout":
      return "a statement ran into statement_timeout: raise it for this role " +
        "(ALTER ROLE … SET statement_timeout) or find what slows the server";
    case "read_only":
      return "the database accepts no writes (a standby after a failover, or " +
        "default_transaction_read_only): point the configuration at the primary";
    case "relation_missing":
    case "function_missing":
      return "a table or function of the schema is missing: run `dns-analytics migrate`";
    case "permission_denied":
      return "the role lacks a privilege: grant those of deploy/postgres-setup.sql";
    case "checkpoint_conflict":
      return "another dns-analytics process committed the same file; reading continues " +
        "from its checkpoint";
    case "connection_lost":
    case "server_restarting":
      return "PostgreSQL is unreachable or restarting; reading resumes when it is back";
    default:
      return "reading resumes by itself once the database accepts the batch again";
  }
}
