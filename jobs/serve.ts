/**
 * The `serve` job (`deno task start`): the main job. Follows `DNSA_QUERY_LOG` and
 * `DNSA_ERROR_LOG` continuously through the same parse → batch → commit-with-checkpoint path
 * as `ingest`, so it continues from the checkpoints `ingest` left, and `ingest` from its. While
 * the database is down, reading pauses (the batch is retried with bounded backoff) and BIND's
 * rotated files hold the backlog. Returns when `signal` aborts, after committing what it read.
 *
 * The scheduled jobs (jobs/schedule.ts) run beside the tailer: once at start to catch up,
 * then on their schedules.
 *
 * With DNSA_SOURCE=dnstap it follows DNSA_DNSTAP (socket or file, lib/dnstap/follow.ts)
 * instead of the logs.
 *
 * It also serves HTTP on DNSA_HTTP (lib/http/server.ts): the dashboard, the JSON API and
 * Prometheus metrics, from the statistics tables and the counters of this process.
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { nodeIdOf } from "../lib/context.ts";
import { followQueryLog } from "../lib/ingest/query_log.ts";
import type { FollowStats } from "../lib/tail/follower.ts";
import { guardCopyWriteRace, openReadOnlyPool } from "../lib/db/connect.ts";
import { ConfigError } from "../lib/config.ts";
import { type DnstapFollowStats, followDnstap } from "../lib/dnstap/follow.ts";
import { readNamedDnstapCounters } from "../lib/dnstap/named_stats.ts";
import { closeAbandonedRuns } from "../lib/job_runs.ts";
import { MetricsRecorder } from "../lib/metrics.ts";
import { startHttpServer } from "../lib/http/server.ts";
import { DASHBOARD_ASSETS } from "../lib/http/dashboard/assets.ts";
import { startSchedule } from "./schedule.ts";
import { followClientNames, hasNameSources } from "../lib/names/follow_names.ts";

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  signal: AbortSignal;
  /** Files never read before start at their end instead of their start. */
  fromEnd?: boolean;
  /** Interval of the summary log line, ms. Default 60 000. */
  summaryMs?: number;
  /** Run the scheduled jobs (default true). */
  schedule?: boolean;
  /** Serve HTTP on DNSA_HTTP (default true). */
  http?: boolean;
  /** Where the counters go (default: a new recorder). */
  metrics?: MetricsRecorder;
  /** Called once HTTP listens, with its URL. */
  onListen?: (url: string) => void;
}

/** Follow the logs until `signal` aborts. */
export async function serve(
  ctx: JobContext,
  options: ServeOptions,
): Promise<FollowStats | DnstapFollowStats> {
  const { config, log } = ctx;
  if (config.source === "dnstap" && !config.dnstap) {
    throw new ConfigError(
      "DNSA_SOURCE=dnstap needs DNSA_DNSTAP: the unix socket named writes to " +
        "(dnstap-output unix) or the dnstap file it writes (dnstap-output file)",
    );
  }
  const nodeId = await nodeIdOf(ctx.sql, config.node);
  const paths = [config.queryLog, config.errorLog];
  const metrics = options.metrics ?? new MetricsRecorder({ source: config.source });
  // HTTP stops with the signal, or when following fails.
  const stopHttp = new AbortController();
  options.signal.addEventListener("abort", () => stopHttp.abort(), { once: true });
  // On PostgreSQL, HTTP reads through its own small pool of read-only transactions (as
  // DNSA_HTTP_DATABASE_URL's role, e.g. dns_reader, when set; else on the read replica of
  // DNSA_READ_DATABASE_URL when set), so requests never write and never take the connections
  // ingest commits with. The embedded database has one connection.
  const httpSql = options.http === false || config.database.kind !== "postgres"
    ? ctx.sql
    : openReadOnlyPool(config.httpDatabaseUrl ?? config.readDatabaseUrl ?? config.database.url);
  const http = options.http === false ? null : await startHttpServer({
    sql: httpSql,
    config,
    metrics,
    log,
    assets: DASHBOARD_ASSETS,
  }, { hostname: config.http.host, port: config.http.port, signal: stopHttp.signal });
  if (http) {
    log.info("http listening", {
      job: "serve",
      url: http.url,
      token: config.httpToken === null ? "none (loopback)" : "required",
    });
    options.onListen?.(http.url);
  }
  const onRetry = (
    { attempt, delayMs, error }: { attempt: number; delayMs: number; error: unknown },
  ) => {
    metrics.countDatabaseError();
    log.warn("database unavailable, retrying batch", {
      job: "serve",
      attempt,
      delay_ms: Math.round(delayMs),
      error,
    });
  };
  const onCommit = ({ seconds }: { seconds: number }) => metrics.observeCommit(seconds);
  log.info("serve started", {
    job: "serve",
    node: config.node,
    source: config.source,
    ...(config.source === "dnstap" ? { dnstap: config.dnstap } : { paths }),
    poll_ms: config.pollMs,
  });
  let last: FollowStats | null = null;
  const summary = setInterval(() => {
    if (!last) return;
    log.info("serve summary", {
      job: "serve",
      lines: last.lines,
      rows: last.rows,
      error_lines: last.errorLines,
      rejected: last.rejected,
      reasons: last.reasons,
      skipped: last.skipped,
      pending: last.pending,
      batches: last.batches,
      retries: last.retries,
      behind_bytes: last.behind,
      last_commit_at: last.lastCommitAt ? new Date(last.lastCommitAt).toISOString() : null,
    });
  }, options.summaryMs ?? 60_000);
  let jobs: Promise<void> = Promise.resolve();
  if (options.schedule !== false) {
    await closeAbandonedRuns(ctx.sql, config.node);
    jobs = startSchedule(ctx, options.signal).catch((error) =>
      log.error("scheduled jobs could not start", { job: "serve", error })
    );
  }
  // Client names (hosts file, DHCP leases, PTR) are followed beside ingest, never in it; they
  // stop with HTTP.
  const names = hasNameSources(config)
    ? followClientNames(ctx.sql, config, log, {
      signal: stopHttp.signal,
      intervalMs: Math.min(10_000, Math.max(1000, config.pollMs * 10)),
    }).catch((error) => log.error("client names stopped", { job: "serve", error }))
    : Promise.resolve();
  const unguard = guardCopyWriteRace((message) =>
    log.warn("connection lost during a COPY; the batch is retried", { job: "serve", message })
  );
  try {
    if (config.source === "dnstap") {
      const writer = {
        sql: ctx.sql,
        nodeId,
        tz: config.logTz,
        knownDays: new Set<number>(),
        copy: ctx.copy,
        retryForMs: Infinity,
        signal: options.signal,
        onRetry,
        onCommit,
      };
      let latest: DnstapFollowStats | null = null;
      let dropped: number | null = null;
      const tick = setInterval(async () => {
        const named = config.namedStats
          ? await readNamedDnstapCounters(config.namedStats).catch((error) => {
            log.warn("named statistics channel not readable", {
              job: "serve",
              url: config.namedStats,
              error,
            });
            return null;
          })
          : null;
        if (named && dropped !== null && named.dropped > dropped) {
          log.warn("named dropped dnstap frames", {
            job: "serve",
            dropped: named.dropped - dropped,
            dropped_total: named.dropped,
            hint: "its output queue was full: this program read too slowly or was stopped",
          });
        }
        if (named) dropped = named.dropped;
        log.info("serve summary", {
          job: "serve",
          source: "dnstap",
          ...latest,
          ...(named
            ? { named_dnstap_sent: named.success, named_dnstap_dropped: named.dropped }
            : {}),
        });
      }, options.summaryMs ?? 60_000);
      try {
        const s = await followDnstap(writer, config.dnstap!, {
          log,
          signal: options.signal,
          pollMs: config.pollMs,
          fromEnd: options.fromEnd,
          onStats: (x) => {
            latest = x;
            Object.assign(metrics.ingest, {
              lines: x.frames,
              rows: x.rows,
              rejected: x.rejected,
              skipped: x.skipped,
              batches: x.batches,
              lastCommitAt: x.lastCommitAt,
              ...(x.behind ? { behind: x.behind, pending: x.pending, retries: x.retries } : {}),
            });
          },
        });
        await jobs;
        log.info("serve stopped", {
          job: "serve",
          source: "dnstap",
          frames: s.frames,
          rows: s.rows,
        });
        return s;
      } finally {
        clearInterval(tick);
      }
    }
    const stats = await followQueryLog({
      sql: ctx.sql,
      nodeId,
      tz: config.logTz,
      knownDays: new Set(),
      copy: ctx.copy,
      retryForMs: Infinity, // a long outage pauses reading; the log files are the queue
      signal: options.signal,
      onRetry,
      onCommit,
    }, {
      paths,
      pollMs: config.pollMs,
      fromEnd: options.fromEnd,
      log,
      signal: options.signal,
      onPass: (s) => {
        last = s;
        Object.assign(metrics.ingest, {
          lines: s.lines,
          rows: s.rows,
          rejected: s.rejected,
          reasons: { ...s.reasons },
          skipped: s.skipped,
          pending: s.pending,
          batches: s.batches,
          retries: s.retries,
          behind: { ...s.behind },
          lastCommitAt: s.lastCommitAt,
        });
      },
    });
    await jobs;
    log.info("serve stopped", { job: "serve", lines: stats.lines, rows: stats.rows });
    return stats;
  } finally {
    clearInterval(summary);
    unguard();
    stopHttp.abort();
    await names;
    await http?.finished;
    if (httpSql !== ctx.sql) await httpSql.end({ timeout: 5 });
  }
}
