/**
 * The `consume` job: the central tier of the bus (lib/bus/consumer.ts). Stores every batch
 * the edges publish into this database exactly once; run any number of processes, on any
 * hosts, against one durable consumer. With `--schedule` it also runs the scheduled jobs
 * (rollup, retention, federate) as `serve` does; with `--metrics HOST:PORT` it serves
 * Prometheus metrics of the consumer.
 *
 * @module
 */
import { type CommandRecord, UsageError, withStopSignal } from "../lib/cli.ts";
import { ConfigError } from "../lib/config.ts";
import type { JobContext } from "../lib/context.ts";
import { guardCopyWriteRace, postgresClient } from "../lib/db/connect.ts";
import { consumeBus, type ConsumeStats } from "../lib/bus/consumer.ts";
import { connectBusWithRetry, setupBusWithRetry } from "../lib/bus/edge.ts";
import type { Bus } from "../lib/bus/bus.ts";
import { busStatusFamilies, consumeFamilies } from "../lib/bus/metrics.ts";
import { formatExposition } from "../lib/metrics.ts";
import type { Service } from "../lib/serve/service.ts";
import { createScheduler } from "./schedule.ts";

const HELP = `Reads the batches that edges ('serve' or 'ingest' with DNSA_BUS and no
database) publish to the NATS JetStream stream DNSA_BUS_STREAM (default
dns-analytics), and stores each in this database (DATABASE_URL) through the same
commit as 'ingest': rows, query-errors lines and the file's checkpoint in one
transaction that also records the message id in dns_bus_applied. The message is
acknowledged after the commit; a message stored before is skipped, so every
query is stored once however often it is delivered. Nodes are registered as
their batches arrive; reports, rollup and retention see them as local nodes.

Run any number of 'consume' processes on any hosts: they share the durable
consumer 'dns-analytics-consume' (made, with the stream, by 'bus-setup' or at
first start). A consumer that dies leaves its unacknowledged messages to the
others after 60 s. While PostgreSQL is down, storing pauses and the stream
holds the backlog.

Options:
  --schedule           also run the scheduled jobs (rollup, retention, federate)
                       as 'serve' does: give it to one consumer (or run a central
                       'serve' for the dashboard and jobs)
  --metrics HOST:PORT  serve Prometheus metrics at /metrics (consumer pending,
                       redeliveries, stored batches and rows)

Example:
  DNSA_BUS=nats://bus1:4222 DATABASE_URL=postgres://dns@db/dns dns-analytics consume --schedule`;

/** Store what the bus delivers until `signal` aborts. */
export async function consume(
  ctx: JobContext,
  opts: { signal: AbortSignal; schedule?: boolean; metrics?: string; stopWhenIdle?: number },
): Promise<ConsumeStats> {
  const { config, log } = ctx;
  const signal = opts.signal;
  if (!config.bus) {
    throw new ConfigError("consume needs DNSA_BUS (nats://host:4222): the bus to read from");
  }
  if (!ctx.copy) {
    throw new ConfigError(
      "consume needs PostgreSQL (DATABASE_URL or DB_HOST ...): batches arrive as COPY data, " +
        "which the embedded database does not take",
    );
  }
  const bus = await connectBusWithRetry(config, log, { name: "dns-analytics consume", signal });
  const scheduler: Service | null = opts.schedule ? createScheduler(ctx) : null;
  const stopHttp = new AbortController();
  const unguard = guardCopyWriteRace((message) =>
    log.warn("connection lost during a COPY; the batch is retried", { job: "consume", message })
  );
  let latest: ConsumeStats | null = null;
  const summaryTimer = setInterval(() => {
    if (latest) log.info("consume summary", { job: "consume", ...latest });
  }, 60_000);
  let http: Deno.HttpServer | null = null;
  try {
    await setupBusWithRetry(bus, log, signal);
    await scheduler?.start();
    http = opts.metrics ? serveMetrics(opts.metrics, bus, () => latest, stopHttp.signal) : null;
    log.info("consume started", { job: "consume", stream: config.bus.stream });
    const stats = await consumeBus(bus, {
      sql: ctx.sql,
      reconnect: () => {
        const db = config.database;
        if (db.kind !== "postgres") throw new Error("consume runs on PostgreSQL only");
        return postgresClient(db.url, { applicationName: "dns-analytics consume" });
      },
      tz: config.logTz,
      log,
      signal,
      stopWhenIdle: opts.stopWhenIdle,
      onStats: (s) => latest = s,
    });
    log.info("consume stopped", { job: "consume", ...stats });
    return stats;
  } finally {
    clearInterval(summaryTimer);
    unguard();
    await scheduler?.stop();
    stopHttp.abort();
    await http?.finished;
    await bus.close();
  }
}

function serveMetrics(
  listen: string,
  bus: Bus,
  stats: () => ConsumeStats | null,
  signal: AbortSignal,
): Deno.HttpServer {
  const i = listen.lastIndexOf(":");
  const hostname = listen.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(listen.slice(i + 1));
  return Deno.serve({ hostname, port, signal, onListen: () => {} }, async (req) => {
    if (new URL(req.url).pathname !== "/metrics") {
      return new Response("not found\n", { status: 404 });
    }
    const status = await bus.status().catch(() => null);
    const families = [...consumeFamilies(stats()), ...busStatusFamilies(status)];
    return new Response(formatExposition(families), {
      headers: { "content-type": "text/plain; version=0.0.4" },
    });
  });
}

/** `dns-analytics consume`. */
export const consumeCommand: CommandRecord = {
  name: "consume",
  summary: "central: store what the edges publish to the bus, exactly once",
  usage: "dns-analytics consume [--schedule] [--metrics HOST:PORT]",
  options: { schedule: { type: "boolean" }, metrics: { type: "string" } },
  help: HELP,
  database: "waiting",
  check({ values }) {
    const m = values.metrics;
    if (m !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(String(m))) {
      throw new UsageError("--metrics must be HOST:PORT, e.g. 127.0.0.1:9153");
    }
  },
  run: (ctx, { values, out }) =>
    withStopSignal(async (signal) => {
      const s = await consume(ctx, {
        signal,
        schedule: values.schedule === true,
        metrics: typeof values.metrics === "string" ? values.metrics : undefined,
      });
      out(JSON.stringify({ batches: s.batches, rows: s.rows, skipped: s.skipped }));
      return 0;
    }),
};
