/**
 * What each command does with its options once the configuration is loaded and the
 * database is open: the glue between the command line and the jobs.
 *
 * @module
 */
import { EXIT_USAGE, intOption, UsageError } from "./cli.ts";
import type { Config } from "./config.ts";
import type { JobContext } from "./context.ts";
import type { Logger } from "./log.ts";
import { formatReport, REPORTS, runReport } from "./report.ts";
import { demo } from "../jobs/demo.ts";
import { doctor } from "../jobs/doctor.ts";
import { federate } from "../jobs/federate.ts";
import { setupFdwPeer } from "./federation/fdw.ts";
import { listPeers } from "./federation/peer.ts";
import { formatFinding } from "./doctor.ts";
import { ingest } from "../jobs/ingest.ts";
import { retention } from "../jobs/retention.ts";
import { rollup } from "../jobs/rollup.ts";
import { serve } from "../jobs/serve.ts";
import { SEARCH_REPORTS } from "./search/report_help.ts";
import { checkSearchArguments, isSearchReport, runSearchReport } from "./search/report_command.ts";

/** Options and positionals of one command line. */
export interface CommandInput {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  out: (text: string) => void;
}

/** An AbortSignal that fires on SIGINT or SIGTERM, and the way to stop listening. */
function stopSignal(): { signal: AbortSignal; release: () => void } {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return {
    signal: stop.signal,
    release: () => {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    },
  };
}

/** A real calendar date `YYYY-MM-DD`. */
function isDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) &&
    new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
}

/** Check a command's arguments before the database is opened; throws UsageError. */
export function checkArguments(command: string, input: CommandInput): void {
  const { values, positionals } = input;
  if (command === "report" && isSearchReport(positionals[0])) {
    checkSearchArguments(positionals[0], values);
    return;
  }
  if (command === "report") {
    if (!positionals[0] || !REPORTS[positionals[0]]) {
      throw new UsageError(
        `report: name one of ${
          [...Object.keys(REPORTS), ...Object.keys(SEARCH_REPORTS)].join(", ")
        }`,
      );
    }
    if (!["table", "json", "csv", undefined].includes(values.format as string | undefined)) {
      throw new UsageError("--format must be table, json or csv");
    }
  }
  if (command === "report" || command === "rollup") {
    for (const k of ["from", "to"] as const) {
      const v = values[k];
      if (v !== undefined && !isDate(String(v))) {
        throw new UsageError(`--${k} must be a date YYYY-MM-DD`);
      }
    }
    if (values.from !== undefined && values.to !== undefined && values.from > values.to!) {
      throw new UsageError("--from must not be after --to");
    }
  }
  if (command === "ingest" && positionals.length === 0) {
    throw new UsageError("ingest: name at least one file (see: dns-analytics ingest --help)");
  }
}

/**
 * Before a report: roll up what ingest added since the last rollup, so the statistics include
 * it. A database role that may only read (a reports role) gets the statistics as they are.
 */
async function refreshStatistics(ctx: JobContext): Promise<void> {
  const [pending] = await ctx.sql<{ n: number }[]>`
    select count(*)::int as n from rollup_dirty`;
  if (pending.n === 0) return;
  try {
    await rollup(ctx, { trigger: "manual" });
  } catch (error) {
    if ((error as { code?: string }).code !== "42501") throw error; // insufficient_privilege
    console.error(
      "dns-analytics: statistics may lag the raw rows (this role cannot run the rollup)",
    );
  }
}

/** `federate --setup-fdw PEER`: the postgres_fdw route to one peer. */
async function setupFdw(ctx: JobContext, name: string) {
  const peer = (await listPeers(ctx.sql, ctx.config)).find((p) => p.name === name);
  if (!peer) {
    throw new UsageError(
      `--setup-fdw: no peer named "${name}" (name it in DNSA_PEERS as ${name}=postgres://...)`,
    );
  }
  return await setupFdwPeer(ctx.sql, peer, { env: Deno.env.toObject() });
}

/** `demo`: runs on its own embedded database, so it takes no job context. */
export async function runDemoCommand(
  config: Readonly<Config>,
  log: Logger,
  input: CommandInput,
): Promise<number> {
  const { signal, release } = stopSignal();
  try {
    await demo(config, log, {
      rate: intOption(input.values, "rate", { min: 1, max: 100_000 }),
      seconds: intOption(input.values, "seconds", { min: 1, max: 86_400 }),
      keep: input.values.keep === true,
      redraw: Deno.stdout.isTerminal(),
      signal,
      out: input.out,
    });
    return 0;
  } finally {
    release();
  }
}

/**
 * `doctor`: takes the configuration loader rather than a context, because a configuration
 * that does not load is one of its findings and it must not migrate the database.
 */
export async function runDoctorCommand(
  loadConfig: () => Readonly<Config>,
  input: CommandInput,
): Promise<number> {
  const namedConf = input.values["named-conf"];
  const result = await doctor({
    loadConfig,
    namedConf: typeof namedConf === "string" ? namedConf : undefined,
  });
  for (const f of result.findings) input.out(formatFinding(f));
  return result.failed ? 1 : 0;
}

/** Run `command` in `ctx`; returns the exit status. */
export async function runCommand(
  command: string,
  ctx: JobContext,
  input: CommandInput,
): Promise<number> {
  const { values, positionals, out } = input;
  switch (command) {
    case "serve": {
      const { signal, release } = stopSignal();
      try {
        await serve(ctx, { signal, fromEnd: values["from-end"] === true });
      } finally {
        release();
      }
      return 0;
    }
    case "rollup": {
      const { signal, release } = stopSignal();
      try {
        const run = await rollup(ctx, {
          from: values.from as string | undefined,
          to: values.to as string | undefined,
          signal,
          progress: Deno.stderr.isTerminal(),
        });
        out(JSON.stringify({ status: run.status, rows: run.rows, ...run.detail }));
      } finally {
        release();
      }
      return 0;
    }
    case "retention": {
      const run = await retention(ctx);
      out(JSON.stringify({ status: run.status, ...run.detail }));
      return 0;
    }
    case "migrate":
      out(JSON.stringify({ migrated: true }));
      return 0;
    case "federate": {
      if (typeof values["setup-fdw"] === "string") {
        const r = await setupFdw(ctx, values["setup-fdw"]);
        out(JSON.stringify(r));
        return 0;
      }
      const { signal, release } = stopSignal();
      try {
        const r = await federate(ctx, {
          peers: typeof values.peer === "string"
            ? values.peer.split(",").map((n) => n.trim()).filter(Boolean)
            : undefined,
          full: values.full === true,
          signal,
        });
        for (const p of r.peers) if (!p.ok) console.error(`dns-analytics: ${p.error}`);
        out(JSON.stringify({
          peers: r.peers.length,
          failed: r.failed,
          days: r.days,
          rows: r.rows,
          results: r.peers,
        }));
        return r.failed > 0 ? 2 : 0;
      } finally {
        release();
      }
    }
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
      if (isSearchReport(positionals[0])) return await runSearchReport(ctx, positionals[0], values);
      // A read replica (DNSA_READ_DATABASE_URL) takes no writes: report what it has.
      if (values["no-rollup"] !== true && ctx.config.readDatabaseUrl === null) {
        await refreshStatistics(ctx);
      }
      const result = await runReport(ctx.sql, positionals[0], {
        days: intOption(values, "days", { min: 1, max: 36500 }),
        from: values.from as string | undefined,
        to: values.to as string | undefined,
        nodes: values.node === undefined
          ? undefined
          : String(values.node).split(",").map((n) => n.trim()).filter(Boolean),
        limit: intOption(values, "limit", { min: 1, max: 1_000_000 }),
        tz: ctx.config.logTz,
      });
      out(formatReport(result, (values.format as "table" | "json" | "csv") ?? "table"));
      return 0;
    }
  }
  console.error(`dns-analytics: no handler for "${command}" (a bug: please report it)`);
  return EXIT_USAGE;
}
