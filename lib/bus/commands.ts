/**
 * The commands that run without a database: `bus-setup`, and `serve` and `ingest` at an edge
 * (DNSA_BUS without DATABASE_URL). main.ts hands them over before opening a database.
 *
 * @module
 */
import { intOption } from "../cli.ts";
import type { CommandInput } from "../commands.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import * as busSetup from "../../jobs/bus_setup.ts";
import { ingestAtEdge, isEdgeMode, serveAtEdge } from "./edge.ts";

/** True when `command` runs here rather than with a database. */
export function runsWithoutDatabase(config: Readonly<Config>, command: string): boolean {
  return command === "bus-setup" || isEdgeMode(config, command);
}

/** Run `command` (see {@linkcode runsWithoutDatabase}); returns the exit status. */
export async function runWithoutDatabase(
  command: string,
  config: Readonly<Config>,
  log: Logger,
  input: CommandInput,
): Promise<number> {
  const { values, positionals, out } = input;
  if (command === "bus-setup") return await busSetup.run(config, input);
  if (command === "ingest") {
    const node = typeof values.node === "string" ? values.node : config.node;
    const summary = await ingestAtEdge(Object.freeze({ ...config, node }), log, {
      paths: positionals,
      batchRows: intOption(values, "batch-rows", { min: 1, max: 1_000_000 }),
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
  if (values["from-end"] === true) {
    console.error("dns-analytics: serve --from-end is not available at an edge (DNSA_BUS)");
    return 64;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await serveAtEdge(config, log, { signal: stop.signal });
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}
