/**
 * Metrics: what the running program counts in-process (ingest progress, batch commit times,
 * database errors, HTTP requests) and the Prometheus text exposition format 0.0.4 they are
 * served in. One {@linkcode MetricsRecorder} is created by `serve` (or `demo`) and passed to
 * the parts that record into it; nothing here is global.
 *
 * @example
 * ```ts
 * const metrics = new MetricsRecorder({ source: "querylog" });
 * metrics.observeCommit(0.012);
 * const text = formatExposition([
 *   { name: "dnsa_example_total", help: "an example", type: "counter", samples: [{ value: 1 }] },
 * ]);
 * ```
 * @module
 */
import { FaultBoard } from "./fault.ts";

/** What the follower has done since start, as `/api/health` and `/metrics` show it. */
export interface IngestSnapshot {
  source: "querylog" | "dnstap";
  /** Lines read (dnstap: frames). */
  lines: number;
  rows: number;
  /** query-errors lines read (joined to their query or kept); 0 for dnstap. */
  errorLines: number;
  rejected: number;
  reasons: Record<string, number>;
  skipped: number;
  /** Lines (dnstap: frames) not stored by DNSA_EXCLUDE_CLIENTS / DNSA_EXCLUDE_DOMAINS. */
  excluded?: number;
  pending: number;
  batches: number;
  retries: number;
  /** Unread bytes per file of the last pass (log files only). */
  behind: Record<string, number>;
  /** Epoch ms of the last commit that stored something; null before the first. */
  lastCommitAt: number | null;
}

/** Upper bounds (seconds) of the batch commit histogram. */
export const COMMIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** In-process counters of one running program. */
export class MetricsRecorder {
  /** Epoch ms the recorder was made (the start of serve). */
  readonly startedAt: number;
  ingest: IngestSnapshot;
  /** Cumulative counts per bucket of {@linkcode COMMIT_BUCKETS} (then +Inf). */
  readonly commitBuckets: number[] = new Array(COMMIT_BUCKETS.length + 1).fill(0);
  commitSum = 0;
  commitCount = 0;
  /** Transient database errors: retried batches, failed queries of HTTP handlers. */
  databaseErrors = 0;
  /** HTTP responses by status code. */
  readonly httpResponses = new Map<number, number>();
  /** The paused state of each source (lib/fault.ts). */
  readonly faults = new FaultBoard();
  /** dnstap loss: connections closed for a protocol error, and named's own counters. */
  readonly dnstap: {
    protocolErrors: number;
    /** From named's statistics channel; null until it was read. */
    namedSent: number | null;
    namedDropped: number | null;
  } = { protocolErrors: 0, namedSent: null, namedDropped: null };
  /** Readings of named's statistics channel stored, and those that failed. */
  namedStatsReads = 0;
  namedStatsFailures = 0;
  /**
   * Families that other parts of the program add to every scrape (the bus: an edge's
   * publishing, the durable consumer's state), as of their last reading.
   */
  readonly collectors: (() => MetricFamily[])[] = [];

  constructor(options: { source: "querylog" | "dnstap"; now?: number }) {
    this.startedAt = options.now ?? Date.now();
    this.ingest = {
      source: options.source,
      lines: 0,
      rows: 0,
      errorLines: 0,
      rejected: 0,
      reasons: {},
      skipped: 0,
      pending: 0,
      batches: 0,
      retries: 0,
      behind: {},
      lastCommitAt: null,
    };
    this.faults.register(options.source);
  }

  /**
   * Record the follower's counters since start (cumulative, not increments); fields left out
   * keep their value. serve's ingest statistics (lib/serve/ingest_stats.ts) is the one caller.
   */
  recordIngest(progress: Partial<Omit<IngestSnapshot, "source">>): void {
    const { reasons, behind, ...counts } = progress;
    Object.assign(this.ingest, counts);
    if (reasons) this.ingest.reasons = { ...reasons };
    if (behind) this.ingest.behind = { ...behind };
  }

  /** Record one committed batch that took `seconds`. */
  observeCommit(seconds: number): void {
    this.commitSum += seconds;
    this.commitCount++;
    const i = COMMIT_BUCKETS.findIndex((b) => seconds <= b);
    this.commitBuckets[i === -1 ? COMMIT_BUCKETS.length : i]++;
  }

  /** Count one database error (a retry, or an HTTP query that failed). */
  countDatabaseError(): void {
    this.databaseErrors++;
  }

  /** Count one HTTP response. */
  countResponse(status: number): void {
    this.httpResponses.set(status, (this.httpResponses.get(status) ?? 0) + 1);
  }

  /** Unread bytes of every file of the last pass. */
  behindBytes(): number {
    return Object.values(this.ingest.behind).reduce((a, b) => a + b, 0);
  }
}

/** One sample: labels and value. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Appended to the metric name (`_bucket`, `_sum`, `_count`). */
  suffix?: string;
}

/** One metric family: HELP, TYPE and its samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: Sample[];
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Render families in the Prometheus text format 0.0.4. */
export function formatExposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const l = labels.length === 0
        ? ""
        : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
      out.push(`${f.name}${s.suffix ?? ""}${l} ${formatValue(s.value)}`);
    }
  }
  return out.join("\n") + "\n";
}

/** The families of the in-process counters of `m`, labelled with this node. */
export function recorderFamilies(m: MetricsRecorder, options: { node: string }): MetricFamily[] {
  const i = m.ingest;
  const node = { node: options.node };
  let cumulative = 0;
  const buckets: Sample[] = COMMIT_BUCKETS.map((le, k) => {
    cumulative += m.commitBuckets[k];
    return { suffix: "_bucket", labels: { le: String(le) }, value: cumulative };
  });
  cumulative += m.commitBuckets[COMMIT_BUCKETS.length];
  buckets.push({ suffix: "_bucket", labels: { le: "+Inf" }, value: cumulative });
  const sets = new Map<string, number>();
  for (const [file, bytes] of Object.entries(i.behind)) {
    if (bytes > 0) {
      const base = file.replace(/\.\d+(\.gz)?$/, "");
      sets.set(base, (sets.get(base) ?? 0) + 1);
    }
  }
  const states = [...m.faults.states()];
  const named = (v: number | null) => v === null ? [] : [{ labels: node, value: v }];
  return [
    {
      name: "dnsa_process_start_time_seconds",
      help: "Start of this process (serve), Unix seconds.",
      type: "gauge",
      samples: [{ value: m.startedAt / 1000 }],
    },
    {
      name: "dnsa_ingest_lines_total",
      help: "Lines read from the query logs (dnstap: frames read) since start.",
      type: "counter",
      samples: [{ labels: node, value: i.lines }],
    },
    {
      name: "dnsa_ingest_rows_total",
      help: "Query rows stored since start.",
      type: "counter",
      samples: [{ labels: node, value: i.rows }],
    },
    {
      name: "dnsa_ingest_excluded_total",
      help: "Lines (dnstap: frames) not stored because DNSA_EXCLUDE_CLIENTS or " +
        "DNSA_EXCLUDE_DOMAINS names them, since start.",
      type: "counter",
      samples: [{ labels: node, value: i.excluded ?? 0 }],
    },
    {
      name: "dnsa_ingest_rejected_total",
      help: "Malformed lines rejected since start (samples in ingest_rejects).",
      type: "counter",
      samples: [{ labels: node, value: i.rejected }],
    },
    {
      name: "dnsa_ingest_rejected_by_reason_total",
      help: "Malformed lines rejected since start, by reason.",
      type: "counter",
      samples: Object.entries(i.reasons).map(([reason, n]) => ({
        labels: { ...node, reason },
        value: n,
      })),
    },
    {
      name: "dnsa_ingest_skipped_total",
      help: "Lines of other log categories skipped since start.",
      type: "counter",
      samples: [{ labels: node, value: i.skipped }],
    },
    {
      name: "dnsa_ingest_pending_lines",
      help: "Unterminated last lines waiting for their end.",
      type: "gauge",
      samples: [{ labels: node, value: i.pending }],
    },
    {
      name: "dnsa_ingest_batches_total",
      help: "Batches committed since start.",
      type: "counter",
      samples: [{ labels: node, value: i.batches }],
    },
    {
      name: "dnsa_ingest_retries_total",
      help: "Batches retried after a transient database failure since start.",
      type: "counter",
      samples: [{ labels: node, value: i.retries }],
    },
    {
      name: "dnsa_ingest_behind_bytes",
      help: "Bytes of the log files not read yet (all files of both rotated sets).",
      type: "gauge",
      samples: [{ labels: node, value: m.behindBytes() }],
    },
    {
      name: "dnsa_ingest_behind_files",
      help: "Files of a rotated set (by the set's current file name) that still hold unread " +
        "bytes; when it reaches BIND's 'versions', the oldest is deleted at the next rotation.",
      type: "gauge",
      samples: [...sets].map(([set, n]) => ({ labels: { ...node, set }, value: n })),
    },
    {
      name: "dnsa_ingest_last_commit_timestamp_seconds",
      help: "Last commit that stored rows, Unix seconds (the start of serve before the first).",
      type: "gauge",
      samples: [{ labels: node, value: (i.lastCommitAt ?? m.startedAt) / 1000 }],
    },
    {
      name: "dnsa_ingest_commit_duration_seconds",
      help: "Time of one batch commit (rows, joins, checkpoint in one transaction).",
      type: "histogram",
      samples: [
        ...buckets,
        { suffix: "_sum", value: m.commitSum },
        { suffix: "_count", value: m.commitCount },
      ],
    },
    {
      name: "dnsa_database_errors_total",
      help: "Database errors since start: batches retried, HTTP queries that failed.",
      type: "counter",
      samples: [{ labels: node, value: m.databaseErrors }],
    },
    {
      name: "dnsa_source_paused",
      help: "1 while reading the source is paused by a database or source fault (retried " +
        "with backoff; the reason is in dnsa_source_pause_reason), else 0.",
      type: "gauge",
      samples: states.map(([source, s]) => ({
        labels: { ...node, source },
        value: s.paused ? 1 : 0,
      })),
    },
    {
      name: "dnsa_source_pause_reason",
      help: "1 for the reason of the current pause of a source (disk_full, read_only, " +
        "statement_timeout, relation_missing, connection_lost, …); absent while reading.",
      type: "gauge",
      samples: states.filter(([, s]) => s.paused).map(([source, s]) => ({
        labels: { ...node, source, reason: s.reason ?? "unknown" },
        value: 1,
      })),
    },
    {
      name: "dnsa_source_pauses_total",
      help: "Pauses of reading a source since start.",
      type: "counter",
      samples: states.map(([source, s]) => ({ labels: { ...node, source }, value: s.pauses })),
    },
    {
      name: "dnsa_dnstap_protocol_errors_total",
      help: "dnstap connections closed since start for a protocol error (garbage, a wrong " +
        "content type, an oversized frame): what they carried after the error is lost.",
      type: "counter",
      samples: [{ labels: node, value: m.dnstap.protocolErrors }],
    },
    {
      name: "dnsa_named_dnstap_dropped_total",
      help: "dnstap frames named dropped (its output queue was full), as its statistics " +
        "channel (DNSA_NAMED_STATS) reports; absent until it was read.",
      type: "counter",
      samples: named(m.dnstap.namedDropped),
    },
    {
      name: "dnsa_named_dnstap_sent_total",
      help: "dnstap frames named queued for output, as its statistics channel reports.",
      type: "counter",
      samples: named(m.dnstap.namedSent),
    },
    {
      name: "dnsa_named_stats_reads_total",
      help: "Readings of named's statistics channel (DNSA_NAMED_STATS) stored since start.",
      type: "counter",
      samples: [{ labels: node, value: m.namedStatsReads }],
    },
    {
      name: "dnsa_named_stats_failures_total",
      help: "Readings of named's statistics channel that failed since start (named down, " +
        "channel off, timeout, database away).",
      type: "counter",
      samples: [{ labels: node, value: m.namedStatsFailures }],
    },
    {
      name: "dnsa_http_responses_total",
      help: "HTTP responses since start, by status code.",
      type: "counter",
      samples: [...m.httpResponses].sort((a, b) => a[0] - b[0]).map(([code, n]) => ({
        labels: { code: String(code) },
        value: n,
      })),
    },
    ...m.collectors.flatMap((collect) => collect()),
  ];
}
