/**
 * serve's ingest statistics: the one place that records what the tailer or the dnstap
 * listener did into the metrics (`/metrics`, `/api/health`), counts retried batches and commit
 * times, and logs the periodic `serve summary` line.
 *
 * @example
 * ```ts
 * const stats = new IngestStatistics({ metrics, log, config });
 * const writer = { ...writerContext, onRetry: stats.onRetry, onCommit: stats.onCommit };
 * await follow(writer, { ...options, onPass: (s) => stats.recordLogs(s) });
 * ```
 * @module
 */
import type { Config } from "../config.ts";
import { readNamedDnstapCounters } from "../dnstap/named_stats.ts";
import type { FollowStats } from "../tail/follower.ts";
import type { Logger } from "../log.ts";
import type { MetricsRecorder } from "../metrics.ts";
import type { Service } from "./service.ts";

/** The counters of a dnstap source (a followed file or the socket listener). */
export interface DnstapCounters {
  frames: number;
  rows: number;
  rejected: number;
  skipped: number;
  batches: number;
  lastCommitAt: number | null;
  /** Files: bytes not yet read per file, 1 when the last pass ended in a partial frame. */
  behind?: Record<string, number>;
  pending?: number;
  retries?: number;
}

/** Options of {@linkcode IngestStatistics}. */
export interface IngestStatisticsOptions {
  metrics: MetricsRecorder;
  log: Logger;
  config: Pick<Readonly<Config>, "source" | "namedStats">;
  /** Interval of the summary log line, ms. Default 60 000. */
  summaryMs?: number;
}

/** Records ingest progress into the metrics and logs a summary every `summaryMs`. */
export class IngestStatistics implements Service {
  readonly name = "ingest statistics";
  #options: IngestStatisticsOptions;
  /** The fields of the next summary line; null before the source reported anything. */
  #latest: Record<string, unknown> | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** named's dropped dnstap frames at the last summary. */
  #dropped: number | null = null;

  constructor(options: IngestStatisticsOptions) {
    this.#options = options;
  }

  /** For the writer: a batch is retried after a transient database error. */
  readonly onRetry = (info: { attempt: number; delayMs: number; error: unknown }): void => {
    this.#options.metrics.countDatabaseError();
    this.#options.log.warn("database unavailable, retrying batch", {
      job: "serve",
      attempt: info.attempt,
      delay_ms: Math.round(info.delayMs),
      error: info.error,
    });
  };

  /** For the writer: a batch committed in `seconds`. */
  readonly onCommit = (info: { seconds: number }): void => {
    this.#options.metrics.observeCommit(info.seconds);
  };

  /** Record the log follower's counters after a pass. */
  recordLogs(s: FollowStats): void {
    this.#options.metrics.recordIngest({
      lines: s.lines,
      rows: s.rows,
      errorLines: s.errorLines,
      rejected: s.rejected,
      reasons: s.reasons,
      skipped: s.skipped,
      pending: s.pending,
      batches: s.batches,
      retries: s.retries,
      behind: s.behind,
      lastCommitAt: s.lastCommitAt,
    });
    this.#latest = {
      lines: s.lines,
      rows: s.rows,
      error_lines: s.errorLines,
      rejected: s.rejected,
      reasons: { ...s.reasons },
      skipped: s.skipped,
      pending: s.pending,
      batches: s.batches,
      retries: s.retries,
      behind_bytes: { ...s.behind },
      last_commit_at: s.lastCommitAt ? new Date(s.lastCommitAt).toISOString() : null,
    };
  }

  /** Record a dnstap source's counters; `extra` goes to the summary line only. */
  recordDnstap(s: DnstapCounters, extra: Record<string, unknown> = {}): void {
    this.#options.metrics.recordIngest({
      lines: s.frames,
      rows: s.rows,
      rejected: s.rejected,
      skipped: s.skipped,
      batches: s.batches,
      lastCommitAt: s.lastCommitAt,
      ...(s.behind ? { behind: s.behind, pending: s.pending, retries: s.retries } : {}),
    });
    this.#latest = { ...extra, ...s };
  }

  /** Start the summary line. */
  start(): Promise<void> {
    this.#timer ??= setInterval(() => {
      this.#logSummary().catch(() => {});
    }, this.#options.summaryMs ?? 60_000);
    return Promise.resolve();
  }

  /** Stop the summary line. */
  stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    return Promise.resolve();
  }

  async #logSummary(): Promise<void> {
    const { log, config } = this.#options;
    if (config.source !== "dnstap") {
      if (this.#latest) log.info("serve summary", { job: "serve", ...this.#latest });
      return;
    }
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
    if (named && this.#dropped !== null && named.dropped > this.#dropped) {
      log.warn("named dropped dnstap frames", {
        job: "serve",
        dropped: named.dropped - this.#dropped,
        dropped_total: named.dropped,
        hint: "its output queue was full: this program read too slowly or was stopped",
      });
    }
    if (named) this.#dropped = named.dropped;
    log.info("serve summary", {
      job: "serve",
      source: "dnstap",
      ...this.#latest,
      ...(named ? { named_dnstap_sent: named.success, named_dnstap_dropped: named.dropped } : {}),
    });
  }
}
