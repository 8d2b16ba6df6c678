/**
 * The `ingest` job: one-shot import of query logs and query-errors logs (plain or `.gz`).
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { nodeIdOf } from "../lib/context.ts";
import { ingestFiles, type IngestSummary } from "../lib/ingest/ingest_files.ts";

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

/** Import `paths` exactly once; see lib/ingest/ingest_files.ts. */
export async function ingest(ctx: JobContext, options: IngestOptions): Promise<IngestSummary> {
  const node = options.node ?? ctx.config.node;
  const nodeId = await nodeIdOf(ctx.sql, node);
  ctx.log.info("ingest started", { job: "ingest", node, files: options.paths.length });
  const summary = await ingestFiles(
    {
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
    },
    options.paths,
    { log: ctx.log, progress: options.progress, batchRows: options.batchRows },
  );
  ctx.log.info("ingest finished", {
    job: "ingest",
    node,
    lines: summary.lines,
    rows: summary.rows,
    seconds: summary.seconds,
  });
  return summary;
}
