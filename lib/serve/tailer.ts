/**
 * serve's tailer: follows the query log and the query-errors log (lib/tail/follower.ts), or
 * with DNSA_SOURCE=dnstap a dnstap file (lib/dnstap/follow.ts), through the same
 * parse → batch → commit-with-checkpoint path as `ingest`. While the database is down or
 * refuses a batch (the fault policy, lib/fault.ts), reading pauses (the batch is retried with
 * bounded backoff, the paused state is in `/metrics`) and the rotated files hold the backlog.
 *
 * @module
 */
import type { JobContext } from "../context.ts";
import type { BatchStore, WriterContext } from "../ingest/commit.ts";
import { type DnstapFollowStats, followDnstap } from "../dnstap/follow.ts";
import { followQueryLog } from "../ingest/query_log.ts";
import type { FollowStats } from "../tail/follower.ts";
import type { PrivacyPolicy } from "../privacy/policy.ts";
import type { IngestStatistics } from "./ingest_stats.ts";
import { type IngestService, ingestService } from "./service.ts";

/** What a live source needs besides the job context. */
export interface LiveSourceOptions {
  /** This node's id (lib/context.ts nodeIdOf). */
  nodeId: number;
  /** Where its counters, retries and commit times go. */
  stats: IngestStatistics;
  /** What is stored of clients and names (lib/privacy/policy.ts, from DNSA_CLIENT_IP etc.). */
  privacy: PrivacyPolicy;
  /** Where batches go instead of `ctx`'s database (an edge: lib/bus/edge_store.ts). */
  store?: BatchStore;
}

/**
 * The writer of a live source: it retries a batch for as long as the database is down or
 * refuses it (any fault but a configuration error), reporting the pause to `stats`.
 */
export function liveWriter(
  ctx: JobContext,
  options: LiveSourceOptions,
  signal: AbortSignal,
): WriterContext {
  return {
    sql: ctx.sql,
    nodeId: options.nodeId,
    tz: ctx.config.logTz,
    knownDays: new Set(),
    copy: ctx.copy,
    privacy: options.privacy,
    retryForMs: Infinity, // a long outage pauses reading; the log files are the queue
    pauseOnFaults: true,
    faults: options.stats.faults,
    signal,
    onRetry: options.stats.onRetry,
    onCommit: options.stats.onCommit,
    store: options.store,
  };
}

/** The tailer of DNSA_QUERY_LOG and DNSA_ERROR_LOG with their rotated files. */
export function createLogTailer(
  ctx: JobContext,
  options: LiveSourceOptions & { fromEnd?: boolean },
): IngestService<FollowStats> {
  const { config, log } = ctx;
  return ingestService("tailer", (signal) =>
    followQueryLog(liveWriter(ctx, options, signal), {
      paths: [config.queryLog, config.errorLog],
      pollMs: config.pollMs,
      fromEnd: options.fromEnd,
      log,
      signal,
      onPass: (s) => options.stats.recordLogs(s),
    }));
}

/** The tailer of the dnstap file DNSA_DNSTAP with its rotated files. */
export function createDnstapFileTailer(
  ctx: JobContext,
  options: LiveSourceOptions & { path: string; fromEnd?: boolean },
): IngestService<DnstapFollowStats> {
  return ingestService(
    "tailer",
    (signal) =>
      followDnstap(liveWriter(ctx, options, signal), options.path, {
        kind: "file",
        log: ctx.log,
        signal,
        pollMs: ctx.config.pollMs,
        fromEnd: options.fromEnd,
        onStats: (s) => options.stats.recordDnstap(s),
      }),
  );
}
