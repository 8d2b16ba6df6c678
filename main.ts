/**
 * dns-analytics: the composition root. Parses the command line, loads the configuration,
 * opens the database and runs the command (lib/commands.ts), and turns typed errors into
 * messages and exit statuses.
 *
 * @module
 */
import { COMMANDS, EXIT_USAGE, mainHelp, parseCommandLine, UsageError } from "./lib/cli.ts";
import { checkArguments, runCommand, runDemoCommand, runDoctorCommand } from "./lib/commands.ts";
import { type Config, ConfigError, loadConfig } from "./lib/config.ts";
import { openContext } from "./lib/context.ts";
import { DatabaseError, explainDbError } from "./lib/db/connect.ts";
import { MigrationError } from "./lib/db/migrate.ts";
import { HttpListenError } from "./lib/http/server.ts";
import { createLogger } from "./lib/log.ts";
import { runsWithoutDatabase, runWithoutDatabase } from "./lib/bus/commands.ts";

const out = (text: string) => console.log(text);
const fail = (text: string, code = 1) => {
  console.error(`dns-analytics: ${text}`);
  return code;
};

/** Run the command line `args`; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  let config: Readonly<Config> | undefined;
  try {
    const { command, values, positionals } = parseCommandLine(args);
    if (command === null) {
      out(mainHelp());
      return values.help ? 0 : EXIT_USAGE;
    }
    const spec = COMMANDS[command];
    if (values.help) {
      out(`Usage: ${spec.usage}\n\n${spec.help}`);
      return 0;
    }
    const input = { values, positionals, out };
    checkArguments(command, input);
    const file = typeof values.config === "string" ? values.config : undefined;
    const fileText = file === undefined ? undefined : await Deno.readTextFile(file);
    const load = () => loadConfig({ env: Deno.env.toObject(), fileText, fileName: file });
    if (command === "doctor") return await runDoctorCommand(load, input);
    config = load();
    const log = createLogger();
    if (command === "demo") return await runDemoCommand(config, log, input);
    if (runsWithoutDatabase(config, command)) {
      return await runWithoutDatabase(command, config, log, input);
    }
    // serve (under systemd) waits for a database that is not up yet; SIGTERM ends the wait.
    const waiting = command === "serve" ? new AbortController() : null;
    const onSignal = () => waiting?.abort();
    if (waiting) Deno.addSignalListener("SIGTERM", onSignal);
    // Reports read a replica when one is configured: never migrated, never rolled up.
    const replica = command === "report" ? config.readDatabaseUrl : null;
    if (replica) {
      config = Object.freeze({ ...config, database: { kind: "postgres" as const, url: replica } });
    }
    const target = config;
    const ctx = await openContext(target, log, {
      applicationName: `dns-analytics ${command}`,
      waitForDatabase: waiting?.signal,
      migrate: replica === null,
    }).finally(() => waiting && Deno.removeSignalListener("SIGTERM", onSignal));
    try {
      return await runCommand(command, ctx, input);
    } finally {
      await ctx.close();
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_USAGE);
    if (error instanceof ConfigError) return fail(error.message);
    if (error instanceof Deno.errors.NotFound && !config) {
      return fail(`--config: no such file (${(error as Error).message})`);
    }
    if (
      error instanceof MigrationError || error instanceof DatabaseError ||
      error instanceof HttpListenError
    ) {
      return fail(error.message);
    }
    if (config && (error as { code?: unknown })?.code !== undefined) {
      return fail(explainDbError(config, error));
    }
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
