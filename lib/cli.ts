/**
 * The command line: `dns-analytics <command> [options]`. A command is a record
 * ({@linkcode CommandRecord}) that its own file in `jobs/` exports; this module parses a
 * command line against the records, prints the top-level help, and holds the small parsing
 * helpers the records share.
 *
 * @example
 * ```ts
 * const { command, values } = parseCommandLine(["rollup", "--from", "2026-11-01"], COMMANDS);
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import type { Config } from "./config.ts";
import type { JobContext } from "./context.ts";
import type { Logger } from "./log.ts";

/** Exit status of a usage error (as sysexits' EX_USAGE). */
export const EXIT_USAGE = 64;

/** A command line that cannot be understood; the message says what is wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Option specs as `node:util`'s parseArgs takes them. */
export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Options and positionals of one command line, and where the command's output goes. */
export interface CommandInput {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  out: (text: string) => void;
}

interface CommandBase {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  usage: string;
  /** `<command> --help`, examples included. */
  help: string;
  options: OptionSpec;
  /** Check the arguments before anything is loaded or opened; throws UsageError. */
  check?(input: CommandInput): void;
}

/**
 * A command that runs on the configured database, opened by `main`: `migrated` (migrations
 * applied first), `migrating` (started at once, the migrations applied meanwhile: the command
 * awaits `ctx.ready` before it uses the database; ingest reads its first batch meanwhile),
 * `waiting` (as `migrated`, waiting with backoff for a database that is not up yet, until
 * SIGTERM: serve under systemd) or `replica` (DNSA_READ_DATABASE_URL when set, never
 * migrated; else as `migrated`).
 */
export interface DatabaseCommand extends CommandBase {
  database: "migrated" | "migrating" | "waiting" | "replica";
  /** When it returns true, the database is opened without applying migrations (a dry run). */
  skipMigrations?(input: CommandInput): boolean;
  /**
   * A configuration under which the command opens no database and runs this instead
   * (`serve` and `ingest` at an edge: DNSA_BUS without a database, lib/bus/); null otherwise.
   */
  standalone?(config: Readonly<Config>): StandaloneCommand["run"] | null;
  /** Run; returns the exit status. */
  run(ctx: JobContext, input: CommandInput): Promise<number>;
}

/** A command that opens what it needs itself (doctor: nothing; demo: its own database). */
export interface StandaloneCommand extends CommandBase {
  database: "none";
  /** Run; returns the exit status. `loadConfig` throws ConfigError. */
  run(
    setup: { loadConfig: () => Readonly<Config>; log: Logger },
    input: CommandInput,
  ): Promise<number>;
}

/** What `jobs/<command>.ts` exports for the command line. */
export type CommandRecord = DatabaseCommand | StandaloneCommand;

const COMMON: OptionSpec = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** The top-level help listing `commands`. */
export function mainHelp(commands: readonly CommandRecord[]): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `dns-analytics: BIND9 query analytics in PostgreSQL

Usage: dns-analytics <command> [options]   (in the repository: deno task <command>)

Commands:
${rows.join("\n")}

Global options:
  --config FILE   read configuration keys from FILE (KEY=VALUE lines, like the
                  seed's /etc/dns-ingestor/db.env); they override the environment
  -h, --help      help for a command: dns-analytics <command> --help

Configuration comes from the environment: DATABASE_URL or DB_HOST, DB_PORT,
DB_NAME, DB_USER, DB_PASSWORD; DNSA_NODE, DNSA_LOG_TZ, ... (see README.md).`;
}

/** A parsed command line; `command` is null when none was named. */
export interface ParsedCommand {
  command: CommandRecord | null;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parse `args` against `commands` into a command, its options and positionals. */
/** Where the command name stands in `args`, or -1: `--config FILE` before it is skipped. */
function commandIndexOf(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--config") {
      i++;
      continue;
    }
    if (!args[i].startsWith("-")) return i;
  }
  return -1;
}

/** The command name of `args` (see {@linkcode parseCommandLine}), or null. */
export function commandNameOf(args: readonly string[]): string | null {
  const i = commandIndexOf(args);
  return i < 0 ? null : args[i];
}

export function parseCommandLine(
  args: readonly string[],
  commands: readonly CommandRecord[],
): ParsedCommand {
  const commandIndex = commandIndexOf(args);
  if (commandIndex < 0) {
    const { values } = parseOrThrow(args, COMMON, "dns-analytics");
    return { command: null, values, positionals: [] };
  }
  const name = args[commandIndex];
  const rest = [...args.slice(0, commandIndex), ...args.slice(commandIndex + 1)];
  const command = commands.find((c) => c.name === name);
  if (!command) {
    throw new UsageError(
      `Unknown command "${name}". Commands: ${commands.map((c) => c.name).join(", ")}.`,
    );
  }
  const { values, positionals } = parseOrThrow(rest, { ...COMMON, ...command.options }, name);
  return { command, values, positionals };
}

function parseOrThrow(args: readonly string[], options: OptionSpec, where: string) {
  try {
    const r = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: { ...r.values }, positionals: r.positionals };
  } catch (error) {
    const msg = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${where}: ${msg} (see: dns-analytics ${where} --help)`);
  }
}

/** A positive integer option, or undefined; throws UsageError naming the option. */
export function intOption(
  values: Record<string, unknown>,
  name: string,
  bounds: { min: number; max: number },
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
    throw new UsageError(`--${name} must be an integer from ${bounds.min} to ${bounds.max}`);
  }
  return n;
}

/** A string option, or undefined. */
export function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A comma-separated list option (`--node dns1,dns2`), or undefined. */
export function listOption(values: Record<string, unknown>, name: string): string[] | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  return String(v).split(",").map((n) => n.trim()).filter(Boolean);
}

/** An IPv4 or IPv6 network in CIDR notation (or a bare address). */
export function isCidr(text: string): boolean {
  const [addr, bits, extra] = text.split("/");
  if (extra !== undefined) return false;
  const v4 = /^(\d{1,3})(\.\d{1,3}){3}$/.test(addr) &&
    addr.split(".").every((o) => Number(o) <= 255);
  const v6 = !v4 && addr.includes(":") && /^[0-9a-fA-F:.]+$/.test(addr);
  if (!v4 && !v6) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128);
}

/** A real calendar date `YYYY-MM-DD`. */
export function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`); // month 13 is an invalid Date, not an error
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Check `--from`/`--to`: dates, and not reversed; throws UsageError. */
export function checkDateRange(values: Record<string, unknown>): void {
  for (const k of ["from", "to"] as const) {
    const v = values[k];
    if (v !== undefined && !isDate(String(v))) {
      throw new UsageError(`--${k} must be a date YYYY-MM-DD`);
    }
  }
  if (
    values.from !== undefined && values.to !== undefined &&
    String(values.from) > String(values.to)
  ) {
    throw new UsageError("--from must not be after --to");
  }
}

/**
 * Run `body` with an AbortSignal that fires on SIGINT or SIGTERM; the signal listeners are
 * removed when it settles.
 */
export async function withStopSignal<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await body(stop.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}
