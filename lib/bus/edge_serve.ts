/**
 * `serve` at an edge (DNSA_BUS without a database): serve's own services (lib/serve/) — the
 * tailer, the dnstap file tailer or the dnstap listener, and the ingest statistics — with the
 * edge's store in place of the database, and an HTTP service of `/metrics` and `/healthz`
 * only. No scheduled jobs run at an edge: the central tier rolls up.
 *
 * @module
 */
import { type Config, ConfigError } from "../config.ts";
import type { Logger } from "../log.ts";
import { formatExposition, MetricsRecorder, recorderFamilies } from "../metrics.ts";
import { createPrivacyPolicy } from "../privacy/policy.ts";
import { createDnstapListener } from "../serve/dnstap_listener.ts";
import { IngestStatistics } from "../serve/ingest_stats.ts";
import type { IngestService, Service } from "../serve/service.ts";
import { createDnstapFileTailer, createLogTailer } from "../serve/tailer.ts";
import { BusUnavailableError } from "./bus.ts";
import { openEdge } from "./edge.ts";
import type { PublishStats } from "./edge_store.ts";
import { publishFamilies } from "./metrics.ts";

/** Follow the sources and publish until `options.signal` aborts. */
export async function serveAtEdge(
  config: Readonly<Config>,
  log: Logger,
  options: { signal: AbortSignal; summaryMs?: number; http?: boolean },
): Promise<void> {
  const { signal } = options;
  const dnstap = config.source === "dnstap" ? config.dnstap : null;
  if (config.source === "dnstap" && !dnstap) {
    throw new ConfigError(
      "DNSA_SOURCE=dnstap needs DNSA_DNSTAP: unix:/path for the unix socket named writes to " +
        "(dnstap-output unix), or the path of the dnstap file it writes (dnstap-output file)",
    );
  }
  const edge = await openEdge(config, log, { command: "serve", signal });
  const metrics = new MetricsRecorder({ source: config.source });
  metrics.collectors.push(() => publishFamilies(edge.stats, config.node));
  const stats = new IngestStatistics({ metrics, log, config, summaryMs: options.summaryMs });
  // What is stored of clients and names is decided here, before the rows leave the edge.
  const privacy = createPrivacyPolicy(config.privacy);
  const live = { nodeId: 0, stats, privacy, store: edge.store };
  const source: IngestService<unknown> = dnstap === null
    ? createLogTailer(edge.ctx, live)
    : config.dnstapKind !== "socket"
    ? createDnstapFileTailer(edge.ctx, { ...live, path: dnstap })
    : createDnstapListener(edge.ctx, { ...live, path: dnstap });
  const services: Service[] = [
    ...(options.http === false ? [] : [edgeHttpService(config, metrics, edge.stats)]),
    stats,
    source,
  ];
  const started: Service[] = [];
  const stopSource = () => source.stop();
  try {
    log.info("serve started", {
      job: "serve",
      mode: "edge",
      node: config.node,
      source: config.source,
      bus: config.bus!.stream,
      services: services.map((s) => s.name),
    });
    for (const service of services) {
      await service.start();
      started.push(service);
    }
    signal.addEventListener("abort", stopSource, { once: true });
    if (signal.aborted) await source.stop();
    await source.finished.catch((error) => {
      // Stopped while the bus was away: what was not published is read again at next start.
      if (!(signal.aborted && error instanceof BusUnavailableError)) throw error;
      log.warn("stopped while the bus was unavailable", {
        hint: "unpublished lines are read again",
      });
    });
  } finally {
    signal.removeEventListener("abort", stopSource);
    for (const service of started.toReversed()) await service.stop();
    await edge.close();
  }
  log.info("serve stopped", { job: "serve", mode: "edge", ...edge.stats });
}

/** HTTP of an edge: `/metrics` and `/healthz` (the bearer token as for the full server). */
function edgeHttpService(
  config: Readonly<Config>,
  metrics: MetricsRecorder,
  stats: PublishStats,
): Service {
  const abort = new AbortController();
  let server: Deno.HttpServer | null = null;
  return {
    name: "http",
    start() {
      server ??= Deno.serve({
        hostname: config.http.host,
        port: config.http.port,
        signal: abort.signal,
        onListen: () => {},
      }, (req) => edgeHttp(req, config, metrics, stats));
      return Promise.resolve();
    },
    async stop() {
      abort.abort();
      await server?.finished;
    },
  };
}

function edgeHttp(
  req: Request,
  config: Readonly<Config>,
  metrics: MetricsRecorder,
  stats: PublishStats,
): Response {
  if (config.httpToken !== null) {
    if (req.headers.get("authorization") !== `Bearer ${config.httpToken}`) {
      return new Response("unauthorized\n", { status: 401 });
    }
  }
  const path = new URL(req.url).pathname;
  if (path === "/healthz") {
    const ok = stats.unavailableSince === null;
    return new Response(ok ? "ok\n" : "bus unavailable\n", { status: ok ? 200 : 503 });
  }
  if (path !== "/metrics") {
    return new Response("not found (an edge serves /metrics)\n", { status: 404 });
  }
  const text = formatExposition(recorderFamilies(metrics, { node: config.node }));
  return new Response(text, { headers: { "content-type": "text/plain; version=0.0.4" } });
}
