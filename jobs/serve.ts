/**
 * The `serve` job (`deno task start`): the main job, composed of services (lib/serve/) started
 * in order and stopped in reverse:
 *
 * - **http**: the dashboard, the JSON API and Prometheus metrics on DNSA_HTTP;
 * - **ingest statistics**: the one place that records ingest progress into the metrics, and
 *   the periodic summary line;
 * - **scheduler** (jobs/schedule.ts): rollup, retention and federate, once at start to catch
 *   up, then on their Deno.cron schedules;
 * - **bus status** (DNSA_BUS set): the stream's and consumer's state in the metrics;
 * - **tailer**: follows DNSA_QUERY_LOG and DNSA_ERROR_LOG (or, with DNSA_SOURCE=dnstap, a
 *   dnstap file) through the same parse → batch → commit-with-checkpoint path as `ingest`, so
 *   it continues from the checkpoints `ingest` left, and `ingest` from its; or instead the
 *   **dnstap listener** on the unix socket DNSA_DNSTAP names (`unix:/path`).
 * - **client-names** (lib/names/): the hosts file, DHCP lease files and PTR lookups that name
 *   client addresses, followed beside ingest and never in it, when any is configured.
 *
 * Only a configuration error ends serve: every database or source fault pauses reading and
 * is retried (lib/fault.ts), shown in `/metrics`, the log and `doctor`.
 *
 * With DNSA_BUS and no database, serve runs as an edge instead (lib/bus/edge_serve.ts): the
 * same sources publish their batches to the bus.
 *
 * Returns when `signal` aborts, after committing what it read; a failing tailer stops the
 * other services and its error is thrown.
 *
 * @module
 */
import { type CommandRecord, UsageError, withStopSignal } from "../lib/cli.ts";
import { ConfigError } from "../lib/config.ts";
import { type JobContext, nodeIdOf } from "../lib/context.ts";
import { guardCopyWriteRace } from "../lib/db/connect.ts";
import { retryAtStart } from "../lib/db/start_retry.ts";
import type { DnstapFollowStats } from "../lib/dnstap/follow.ts";
import type { ListenerStats } from "../lib/dnstap/listener.ts";
import type { FollowStats } from "../lib/tail/follower.ts";
import { MetricsRecorder } from "../lib/metrics.ts";
import { createDnstapListener } from "../lib/serve/dnstap_listener.ts";
import { createHttpService } from "../lib/serve/http_service.ts";
import { IngestStatistics } from "../lib/serve/ingest_stats.ts";
import { type IngestService, ingestService, type Service } from "../lib/serve/service.ts";
import { createDnstapFileTailer, createLogTailer } from "../lib/serve/tailer.ts";
import { runServerCounterCollector } from "../lib/server_stats/collector.ts";
import { createPrivacyPolicy } from "../lib/privacy/policy.ts";
import { isEdgeMode } from "../lib/bus/config.ts";
import { serveAtEdge } from "../lib/bus/edge_serve.ts";
import { createBusStatusService } from "../lib/bus/status_service.ts";
import { followClientNames, hasNameSources } from "../lib/names/follow_names.ts";
import { createScheduler } from "./schedule.ts";

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
  /** When DNSA_HTTP's port is taken, serve HTTP on a free port instead (the demo). */
  freePortWhenTaken?: boolean;
  /** Where the counters go (default: a new recorder). */
  metrics?: MetricsRecorder;
  /** Called once HTTP listens, with its URL. */
  onListen?: (url: string) => void;
  /** Between readings of named's statistics channel, ms (default 60 000; the demo: less). */
  namedStatsIntervalMs?: number;
}

/** What serve's source read. */
export type ServeResult = FollowStats | DnstapFollowStats | ListenerStats;

/** Run the services of `ctx`'s configuration until `signal` aborts. */
export async function serve(ctx: JobContext, options: ServeOptions): Promise<ServeResult> {
  const { config, log } = ctx;
  const dnstap = config.source === "dnstap" ? config.dnstap : null;
  if (config.source === "dnstap" && !dnstap) {
    throw new ConfigError(
      "DNSA_SOURCE=dnstap needs DNSA_DNSTAP: unix:/path for the unix socket named writes to " +
        "(dnstap-output unix), or the path of the dnstap file it writes (dnstap-output file)",
    );
  }
  // A database fault at start waits like any other; only a configuration error ends serve.
  const nodeId = await retryAtStart(ctx.sql, () => nodeIdOf(ctx.sql, config.node), {
    signal: options.signal,
    log,
  });
  const metrics = options.metrics ?? new MetricsRecorder({ source: config.source });
  const stats = new IngestStatistics({ metrics, log, config, summaryMs: options.summaryMs });
  // One policy for every source and the access log (hash mode reads its key file here).
  const privacy = createPrivacyPolicy(config.privacy);
  const live = { nodeId, stats, privacy };
  const source: IngestService<ServeResult> = dnstap === null
    ? createLogTailer(ctx, { ...live, fromEnd: options.fromEnd })
    : config.dnstapKind !== "socket"
    ? createDnstapFileTailer(ctx, { ...live, path: dnstap, fromEnd: options.fromEnd })
    : createDnstapListener(ctx, { ...live, path: dnstap });
  const services: Service[] = [
    ...(options.http === false ? [] : [createHttpService(ctx, {
      metrics,
      freePortWhenTaken: options.freePortWhenTaken,
      onListen: options.onListen,
      redact: privacy.redactText,
    })]),
    stats,
    // Central serve beside `consume`: the bus's consumer state in /metrics.
    ...(config.bus && options.http !== false
      ? [createBusStatusService(config, { log, metrics })]
      : []),
    ...(options.schedule === false ? [] : [createScheduler(ctx)]),
    // named's server counters (rcodes, RRL, cache), once a minute, when its channel is known.
    ...(config.namedStats && options.schedule !== false
      ? [ingestService("named-stats", (signal) =>
        runServerCounterCollector(ctx.sql, {
          node: config.node,
          url: config.namedStats!,
          tz: config.logTz,
          log,
          metrics,
          signal,
          intervalMs: options.namedStatsIntervalMs,
        }))]
      : []),
    ...(hasNameSources(config)
      ? [ingestService("client-names", (signal) =>
        followClientNames(ctx.sql, config, log, {
          signal,
          intervalMs: Math.min(10_000, Math.max(1000, config.pollMs * 10)),
        }).catch((error) => log.error("client names stopped", { job: "serve", error })))]
      : []),
    source,
  ];
  const started: Service[] = [];
  const stopSource = () => source.stop();
  const unguard = guardCopyWriteRace((message) =>
    log.warn("connection lost during a COPY; the batch is retried", { job: "serve", message })
  );
  try {
    log.info("serve started", {
      job: "serve",
      node: config.node,
      source: config.source,
      ...(dnstap ? { dnstap } : { paths: [config.queryLog, config.errorLog] }),
      poll_ms: config.pollMs,
      services: services.map((s) => s.name),
    });
    for (const service of services) {
      await service.start();
      started.push(service);
    }
    options.signal.addEventListener("abort", stopSource, { once: true });
    if (options.signal.aborted) await source.stop();
    const result = await source.finished;
    await stopAll(started);
    log.info("serve stopped", {
      job: "serve",
      ...("frames" in result
        ? { source: "dnstap", frames: result.frames }
        : { lines: result.lines }),
      rows: result.rows,
    });
    return result;
  } finally {
    options.signal.removeEventListener("abort", stopSource);
    await stopAll(started);
    unguard();
  }
}

/** Stop `services` in reverse order of their start. */
async function stopAll(services: Service[]): Promise<void> {
  for (const service of services.toReversed()) await service.stop();
}

/** `dns-analytics serve`. */
export const serveCommand: CommandRecord = {
  name: "serve",
  summary: "the main job: follow the logs, run the scheduled jobs, serve the dashboard/API",
  usage: "dns-analytics serve [--from-end]",
  options: { "from-end": { type: "boolean" } },
  help: `Follows DNSA_QUERY_LOG and DNSA_ERROR_LOG (default /var/log/named/queries.log and
/var/log/named/query-errors.log) and their rotated files, and stores every line
exactly once through the same path as 'ingest': each file continues from its
checkpoint, so serve continues where ingest stopped and the reverse.

Files are found by the fingerprint of their first line, whatever their name:
BIND's own rotation (queries.log -> queries.log.0 ...) finishes the renamed
file and reads the new one from its start; logrotate's copytruncate starts the
truncated file again at 0; files rotated while serve was stopped are found
under their new names. On first start a file without a checkpoint is read from
its start; with --from-end, files never read before start at their end instead
(what is already in them is not stored). The directory is watched (inotify) and polled every DNSA_POLL_MS
(default 1000; polling alone works, e.g. on NFS). While PostgreSQL is down,
or refuses the batch (disk full, read-only, a timeout, a missing table),
reading pauses and the batch is retried with backoff; /metrics, the log and
doctor say why, and nothing is lost or stored twice. SIGTERM or SIGINT: the batch read so far is committed and serve
exits 0. A JSON summary is logged every minute.

The scheduled jobs run beside it: rollup every DNSA_ROLLUP_SCHEDULE (default
'*/5 * * * *'), retention at DNSA_RETENTION_SCHEDULE (default '17 3 * * *')
and, when there are peers, federate every DNSA_FEDERATE_SCHEDULE (default
'*/5 * * * *'), all UTC, and each once at start to catch up what was missed
while it was down.

With DNSA_SOURCE=dnstap it reads dnstap instead of the logs: DNSA_DNSTAP is
unix:/path, a unix socket it listens on (named's dnstap-output unix), or else
the path of a dnstap file it follows with its rotated versions (dnstap-output
file). DNSA_NAMED_STATS (named's statistics channel) adds named's count of
dropped dnstap frames to the summary and /metrics.

HTTP: the dashboard at /, the JSON API under /api/, Prometheus metrics at
/metrics and /healthz, on DNSA_HTTP (default 127.0.0.1:8053). Listening beyond
loopback needs DNSA_HTTP_TOKEN (serve refuses to start without it): send it as
'Authorization: Bearer <token>', or sign in at /login in a browser.

Example:
  DNSA_NODE=dns1 dns-analytics serve --config /etc/dns-ingestor/db.env`,
  database: "waiting",
  standalone: (config) =>
    isEdgeMode(config)
      ? ({ log }, { values }) => {
        if (values["from-end"] === true) {
          throw new UsageError("serve --from-end is not available at an edge (DNSA_BUS)");
        }
        return withStopSignal(async (signal) => {
          await serveAtEdge(config, log, { signal });
          return 0;
        });
      }
      : null,
  run: (ctx, { values }) =>
    withStopSignal(async (signal) => {
      await serve(ctx, { signal, fromEnd: values["from-end"] === true });
      return 0;
    }),
};
