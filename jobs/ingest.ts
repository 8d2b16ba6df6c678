/**
 * The `ingest` job: one-shot import of query logs, query-errors logs and dnstap files (plain
 * or `.gz`), and its command record.
 *
 * @module
 */
import { type CommandRecord, intOption, stringOption, UsageError } from "../lib/cli.ts";
import type { JobContext } from "../lib/context.ts";
import { nodeIdOf } from "../lib/context.ts";
import type { WriterContext } from "../lib/ingest/commit.ts";
import { ingestLogFiles } from "../lib/ingest/query_log.ts";
import { isDnstapFile } from "../lib/dnstap/detect.ts";
import { addSummary, type TailSummary } from "../lib/tail/pipeline.ts";
import { createPrivacyPolicy } from "../lib/privacy/policy.ts";
import { isEdgeMode } from "../lib/bus/config.ts";

/** Options of {@linkcode ingest}. */
export interface IngestOptions {
  paths: readonly string[];
  /** Node the rows belong to; default the configured `DNSA_NODE`. */
  node?: string;
  /** Draw progress on stderr. */
  progress?: boolean;
  /** Rows per committed batch. */
  batchRows?: number;
}

/**
 * Import `paths` exactly once: query logs and query-errors logs (lib/ingest/query_log.ts)
 * and dnstap files (lib/dnstap/file.ts), each file's kind decided by its content.
 */
export async function ingest(ctx: JobContext, options: IngestOptions): Promise<TailSummary> {
  const node = options.node ?? ctx.config.node;
  ctx.log.info("ingest started", { job: "ingest", node, files: options.paths.length });
  const writer: WriterContext = {
    sql: ctx.sql,
    nodeId: 0, // set below, once the database is ready
    nodeName: node,
    tz: ctx.config.logTz,
    knownDays: new Set(),
    copy: ctx.copy,
    privacy: createPrivacyPolicy(ctx.config.privacy),
    onRetry: ({ attempt, delayMs, error }) =>
      ctx.log.warn("database unavailable, retrying batch", {
        job: "ingest",
        attempt,
        delay_ms: Math.round(delayMs),
        error,
      }),
  };
  // While the migrations are applied (a `migrating` context), the first query log is read:
  // its batches wait for the database, and take the node's id at their commit.
  const prepared = (ctx.ready ?? Promise.resolve()).then(async () => {
    writer.nodeId = await nodeIdOf(ctx.sql, node);
    writer.ready = undefined;
  });
  if (ctx.ready && ctx.copy) {
    writer.ready = prepared;
    prepared.catch(() => {}); // awaited below
  } else await prepared;
  const started = performance.now();
  const dnstapPaths: string[] = [], logPaths: string[] = [];
  for (const p of options.paths) (await isDnstapFile(p) ? dnstapPaths : logPaths).push(p);
  const summary = await ingestLogFiles(writer, logPaths, {
    log: ctx.log,
    progress: options.progress,
    batchRows: options.batchRows,
  });
  await prepared; // a failure is reported even when no file was read
  if (dnstapPaths.length > 0) {
    // Loaded when a dnstap file is given: a run of query logs loads no protobuf decoder.
    const { ingestDnstapFiles } = await import("../lib/dnstap/file.ts");
    const d = await ingestDnstapFiles(writer, dnstapPaths, {
      log: ctx.log,
      batchFrames: options.batchRows,
    });
    addSummary(summary, d);
    summary.seconds = Math.round(performance.now() - started) / 1000;
  }
  ctx.log.info("ingest finished", {
    job: "ingest",
    node,
    lines: summary.lines,
    rows: summary.rows,
    seconds: summary.seconds,
  });
  return summary;
}

/** `dns-analytics ingest`. */
export const ingestCommand: CommandRecord = {
  name: "ingest",
  summary: "one-shot import of query logs, query-errors logs and dnstap files (plain or .gz)",
  usage: "dns-analytics ingest [--node NAME] [--batch-rows N] <path>...",
  options: { node: { type: "string" }, "batch-rows": { type: "string" } },
  help: `Reads every line of the given files into PostgreSQL exactly once. dnstap
files (Frame Streams, recognised by their content) are read frame by frame the
same way: one row per client response, joined with its query, plus one per
query never answered.

Files of one rotated set are read oldest first whatever the argument order
(queries.log.6 ... queries.log.0, queries.log; .gz and BIND 'suffix timestamp'
names too). Each line's kind is decided on its own: query lines become rows of
dns_queries; 'query failed' lines set the rcode of their query (REFUSED, or
SERVFAIL for every other reason); rate-limit lines are kept but never mark a
query; other categories are skipped; malformed lines are rejected with a reason
and a few samples are kept in ingest_rejects. Every batch commits with the file's
checkpoint (first-line fingerprint + byte offset), so running the same files
again adds nothing and an interrupted run resumes where it stopped. An
unterminated last line is left pending until it is complete; in a rotated file
(x.N, x.TIMESTAMP, x-YYYYMMDD, .gz) unchanged for 5 s it is final and rejected
as 'unterminated'.

The last line on stdout is a JSON summary:
  {"lines":…,"rows":…,"rejected":…,"skipped":…,"excluded":…,"pending":…,"reasons":{…},…}
Exit status: 0 when every file was read, 2 when some file could not be (the
others are still ingested), 1 on a configuration or database error.

Options:
  --node NAME        store the rows under this node name (default DNSA_NODE)
  --batch-rows N     rows per committed batch (default 50000)

Examples:
  dns-analytics ingest /var/log/named/queries.log* /var/log/named/query-errors.log*
  dns-analytics ingest --node dns2 /srv/archive/dns2/queries.log.*.gz`,
  database: "migrating",
  check({ positionals }) {
    if (positionals.length === 0) {
      throw new UsageError("ingest: name at least one file (see: dns-analytics ingest --help)");
    }
  },
  standalone: (config) =>
    isEdgeMode(config)
      ? async ({ log }, { values, positionals, out }) => {
        const node = stringOption(values, "node") ?? config.node;
        const { ingestAtEdge } = await import("../lib/bus/edge.ts");
        const summary = await ingestAtEdge(Object.freeze({ ...config, node }), log, {
          paths: positionals,
          batchRows: intOption(values, "batch-rows", { min: 1, max: 10_000_000 }),
          progress: Deno.stderr.isTerminal(),
        });
        return report(summary, out);
      }
      : null,
  async run(ctx, { values, positionals, out }) {
    const summary = await ingest(ctx, {
      paths: positionals,
      node: stringOption(values, "node"),
      batchRows: intOption(values, "batch-rows", { min: 1, max: 10_000_000 }),
      progress: Deno.stderr.isTerminal(),
    });
    return report(summary, out);
  },
};

/** Print the failed files and the summary line; the exit status. */
function report(summary: TailSummary, out: (text: string) => void): number {
  for (const f of summary.files) if (f.error) console.error(`dns-analytics: ${f.error}`);
  out(JSON.stringify({
    lines: summary.lines,
    rows: summary.rows,
    rejected: summary.rejected,
    skipped: summary.skipped,
    excluded: summary.excluded ?? 0,
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
