/**
 * dns-analytics: the composition root. Parses the command line against the command records
 * of `jobs/`, loads the configuration, opens the database when the command runs on it, runs
 * the command, and turns typed errors into messages and exit statuses.
 *
 * @module
 */
import {
  commandNameOf,
  type CommandRecord,
  EXIT_USAGE,
  mainHelp,
  parseCommandLine,
  UsageError,
} from "./lib/cli.ts";
import { type Config, ConfigError, loadConfig } from "./lib/config.ts";
import { openContext } from "./lib/context.ts";
import { DatabaseError, explainDbError } from "./lib/db/connect.ts";
import { MigrationError } from "./lib/db/migrate.ts";
import { SeedConversionError } from "./lib/seed/convert.ts";
import { HttpListenError } from "./lib/http/listen_error.ts";
import { createLogger } from "./lib/log.ts";
import { BusUnavailableError } from "./lib/bus/bus.ts";
/**
 * Every command, in the order of the top-level help, each loaded when it runs: a run loads
 * its own command's modules only (an `ingest` of query logs loads no HTTP service, bus
 * client or protobuf decoder).
 */
export const COMMANDS: Readonly<Record<string, () => Promise<CommandRecord>>> = {
  ingest: async () => {
    // A one-shot run of a few seconds: V8 gives each function its type feedback at its first
    // call instead of after a few, so the parser's hot loops are optimized sooner (1 M lines:
    // 1.21 → 1.17 s, machine CPU 1.93 → 1.90 s; the same as the command-line flag). Process-
    // wide, before the ingest's modules load.
    (await import("node:v8")).setFlagsFromString("--no-lazy-feedback-allocation");
    return (await import("./jobs/ingest.ts")).ingestCommand;
  },
  serve: async () => (await import("./jobs/serve.ts")).serveCommand,
  rollup: async () => (await import("./jobs/rollup.ts")).rollupCommand,
  retention: async () => (await import("./jobs/retention.ts")).retentionCommand,
  federate: async () => (await import("./jobs/federate.ts")).federateCommand,
  migrate: async () => (await import("./jobs/migrate.ts")).migrateCommand,
  doctor: async () => (await import("./jobs/doctor.ts")).doctorCommand,
  demo: async () => (await import("./jobs/demo.ts")).demoCommand,
  report: async () => (await import("./jobs/report.ts")).reportCommand,
  consume: async () => (await import("./jobs/consume.ts")).consumeCommand,
  "bus-setup": async () => (await import("./jobs/bus_setup.ts")).busSetupCommand,
};

/** The records `args` needs: its command's alone, or all of them (help, an unknown name). */
async function commandsFor(args: readonly string[]): Promise<CommandRecord[]> {
  const name = commandNameOf(args);
  const one = name !== null && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : null;
  return await Promise.all(one ? [one()] : Object.values(COMMANDS).map((load) => load()));
}

/** Errors whose message says what to do: printed as they are. */
const EXPLAINED = [
  ConfigError,
  MigrationError,
  SeedConversionError,
  DatabaseError,
  HttpListenError,
  BusUnavailableError,
];

const out = (text: string) => console.log(text);
const fail = (text: string, code = 1) => {
  console.error(`dns-analytics: ${text}`);
  return code;
};

/** Run the command line `args`; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  let config: Readonly<Config> | undefined;
  try {
    const commands = await commandsFor(args);
    const { command, values, positionals } = parseCommandLine(args, commands);
    if (command === null) {
      out(mainHelp(commands));
      return values.help ? 0 : EXIT_USAGE;
    }
    if (values.help) {
      out(`Usage: ${command.usage}\n\n${command.help}`);
      return 0;
    }
    const input = { values, positionals, out };
    command.check?.(input);
    const file = typeof values.config === "string" ? values.config : undefined;
    const fileText = file === undefined ? undefined : await Deno.readTextFile(file);
    const load =
      () => (config = loadConfig({ env: Deno.env.toObject(), fileText, fileName: file }));
    if (command.database === "none") {
      return await command.run({ loadConfig: load, log: createLogger() }, input);
    }
    let target = load();
    const log = createLogger();
    const standalone = command.standalone?.(target);
    if (standalone) return await standalone({ loadConfig: () => target, log }, input);
    // serve (under systemd) waits for a database that is not up yet; SIGTERM ends the wait.
    const waiting = command.database === "waiting" ? new AbortController() : null;
    const onSignal = () => waiting?.abort();
    if (waiting) Deno.addSignalListener("SIGTERM", onSignal);
    // Reports read a replica when one is configured: never migrated, never rolled up.
    const replica = command.database === "replica" ? target.readDatabaseUrl : null;
    if (replica) {
      target = Object.freeze({ ...target, database: { kind: "postgres" as const, url: replica } });
    }
    config = target;
    const ctx = await openContext(target, log, {
      applicationName: `dns-analytics ${command.name}`,
      waitForDatabase: waiting?.signal,
      migrate: replica === null && command.skipMigrations?.(input) !== true,
      background: command.database === "migrating",
    }).finally(() => waiting && Deno.removeSignalListener("SIGTERM", onSignal));
    try {
      return await command.run(ctx, input);
    } finally {
      await ctx.close();
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_USAGE);
    if (EXPLAINED.some((type) => error instanceof type)) return fail((error as Error).message);
    if (error instanceof Deno.errors.NotFound && !config) {
      return fail(`--config: no such file (${(error as Error).message})`);
    }
    if (config && (error as { code?: unknown })?.code !== undefined) {
      return fail(explainDbError(config, error));
    }
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
