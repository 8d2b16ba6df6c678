/**
 * The `ingest` job: one-shot import of query logs, query-errors logs and dnstap files (plain
 * or `.gz`).
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { nodeIdOf } from "../lib/context.ts";
import type { WriterContext } from "../lib/ingest/commit.ts";
import { ingestLogFiles } from "../lib/ingest/query_log.ts";
import { ingestDnstapFiles, isDnstapFile } from "../lib/dnstap/file.ts";
import { addSummary, type TailSummary } from "../lib/tail/pipeline.ts";

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
  const nodeId = await nodeIdOf(ctx.sql, node);
  ctx.log.info("ingest started", { job: "ingest", node, files: options.paths.length });
  const writer: WriterContext = {
    sql: ctx.sql,
    nodeId,
    tz: ctx.config.logTz,
    knownDays: new Set(),
    copy: ctx.copy,
    onRetry: ({ attempt, delayMs, error }) =>
      ctx.log.warn("database unavailable, retrying batch", {
        job: "ingest",
        attempt,
        delay_ms: Math.round(delayMs),
        error,
      }),
  };
  const started = performance.now();
  const dnstapPaths: string[] = [], logPaths: string[] = [];
  for (const p of options.paths) (await isDnstapFile(p) ? dnstapPaths : logPaths).push(p);
  const summary = await ingestLogFiles(writer, logPaths, {
    log: ctx.log,
    progress: options.progress,
    batchRows: options.batchRows,
  });
  if (dnstapPaths.length > 0) {
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
