/**
 * dns-analytics: the composition root. Parses the command line, loads the configuration,
 * opens the database and runs the command's job.
 *
 * @module
 */
import {
  COMMANDS,
  EXIT_USAGE,
  intOption,
  mainHelp,
  parseCommandLine,
  UsageError,
} from "./lib/cli.ts";
import { ConfigError, loadConfig } from "./lib/config.ts";
import { openContext } from "./lib/context.ts";
import { DatabaseError, explainDbError } from "./lib/db/connect.ts";
import { MigrationError } from "./lib/db/migrate.ts";
import { createLogger } from "./lib/log.ts";
import { formatReport, REPORTS, runReport } from "./lib/report.ts";
import { ingest } from "./jobs/ingest.ts";
import { demo } from "./jobs/demo.ts";
import { serve } from "./jobs/serve.ts";

const out = (text: string) => console.log(text);
const fail = (text: string, code = 1) => {
  console.error(`dns-analytics: ${text}`);
  return code;
};

/** Run the command line `args`; returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(args);
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_USAGE);
    throw error;
  }
  const { command, values, positionals } = parsed;
  if (command === null) {
    out(mainHelp());
    return values.help ? 0 : EXIT_USAGE;
  }
  const spec = COMMANDS[command];
  if (!spec) return fail(`"${command}" is not available yet in this version of dns-analytics`);
  if (values.help) {
    out(`Usage: ${spec.usage}\n\n${spec.help}`);
    return 0;
  }
  const log = createLogger();
  let config;
  try {
    const file = typeof values.config === "string" ? values.config : undefined;
    config = loadConfig({
      env: Deno.env.toObject(),
      fileText: file === undefined ? undefined : await Deno.readTextFile(file),
      fileName: file,
    });
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    if (error instanceof Deno.errors.NotFound) {
      return fail(`--config: no such file ${values.config}`);
    }
    throw error;
  }
  try {
    if (command === "report") {
      const name = positionals[0];
      if (!name || !REPORTS[name]) {
        return fail(`report: name one of ${Object.keys(REPORTS).join(", ")}`, EXIT_USAGE);
      }
    }
    if (command === "ingest" && positionals.length === 0) {
      return fail("ingest: name at least one file (see: dns-analytics ingest --help)", EXIT_USAGE);
    }
    if (command === "demo") return await runDemo(config, log, values);
    const ctx = await openContext(config, log, { applicationName: `dns-analytics ${command}` });
    try {
      switch (command) {
        case "serve": {
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          Deno.addSignalListener("SIGINT", onSignal);
          Deno.addSignalListener("SIGTERM", onSignal);
          try {
            await serve(ctx, { signal: stop.signal });
          } finally {
            Deno.removeSignalListener("SIGINT", onSignal);
            Deno.removeSignalListener("SIGTERM", onSignal);
          }
          return 0;
        }
        case "migrate":
          out(JSON.stringify({ migrated: true }));
          return 0;
        case "ingest": {
          const summary = await ingest(ctx, {
            paths: positionals,
            node: values.node as string | undefined,
            batchRows: intOption(values, "batch-rows", { min: 1, max: 10_000_000 }),
            progress: Deno.stderr.isTerminal(),
          });
          for (const f of summary.files) if (f.error) console.error(`dns-analytics: ${f.error}`);
          out(JSON.stringify({
            lines: summary.lines,
            rows: summary.rows,
            rejected: summary.rejected,
            skipped: summary.skipped,
            pending: summary.pending,
            reasons: summary.reasons,
            error_lines: summary.errorLines,
            files: summary.files.length,
            failed_files: summary.failedFiles,
            batches: summary.batches,
            seconds: summary.seconds,
          }));
          return summary.failedFiles > 0 ? 2 : 0;
        }
        case "report": {
          const format = (values.format as string | undefined) ?? "table";
          if (!["table", "json", "csv"].includes(format)) {
            return fail("--format must be table, json or csv", EXIT_USAGE);
          }
          for (const k of ["from", "to"] as const) {
            const v = values[k];
            if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) {
              return fail(`--${k} must be a date YYYY-MM-DD`, EXIT_USAGE);
            }
          }
          const result = await runReport(ctx.sql, positionals[0], {
            days: intOption(values, "days", { min: 1, max: 36500 }),
            from: values.from as string | undefined,
            to: values.to as string | undefined,
            node: values.node as string | undefined,
            limit: intOption(values, "limit", { min: 1, max: 1_000_000 }),
            tz: config.logTz,
          });
          out(formatReport(result, format as "table" | "json" | "csv"));
          return 0;
        }
      }
      return fail(`"${command}" is not available yet`);
    } finally {
      await ctx.close();
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, EXIT_USAGE);
    if (error instanceof MigrationError || error instanceof DatabaseError) {
      return fail(error.message);
    }
    if ((error as { code?: unknown })?.code !== undefined) {
      return fail(explainDbError(config, error));
    }
    throw error;
  }
}

async function runDemo(
  config: Parameters<typeof demo>[0],
  log: Parameters<typeof demo>[1],
  values: Record<string, unknown>,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await demo(config, log, {
      rate: intOption(values, "rate", { min: 1, max: 100_000 }),
      seconds: intOption(values, "seconds", { min: 1, max: 86_400 }),
      keep: values.keep === true,
      redraw: Deno.stdout.isTerminal(),
      signal: stop.signal,
      out,
    });
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
