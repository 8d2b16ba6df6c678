/**
 * The `consume` job: the central tier of the bus (lib/bus/consumer.ts). Stores every batch
 * the edges publish into this database exactly once; run any number of processes, on any
 * hosts, against one durable consumer. With `--schedule` it also runs the scheduled jobs
 * (rollup, retention, federate) as `serve` does; with `--metrics HOST:PORT` it serves
 * Prometheus metrics of the consumer.
 *
 * @module
 */
import { EXIT_USAGE } from "../lib/cli.ts";
import type { CommandInput } from "../lib/commands.ts";
import { ConfigError } from "../lib/config.ts";
import type { JobContext } from "../lib/context.ts";
import { closeAbandonedRuns } from "../lib/job_runs.ts";
import { guardCopyWriteRace } from "../lib/db/connect.ts";
import { consumeBus, type ConsumeStats } from "../lib/bus/consumer.ts";
import { connectBusWithRetry } from "../lib/bus/edge.ts";
import type { Bus } from "../lib/bus/bus.ts";
import { formatExposition, type MetricFamily } from "../lib/metrics.ts";
import { startSchedule } from "./schedule.ts";

/** One line for the command list. */
export const summary = "central: store what the edges publish to the bus, exactly once";

/** The usage line. */
export const usage = "dns-analytics consume [--schedule] [--metrics HOST:PORT]";

/** Its options. */
export const options = {
  schedule: { type: "boolean" },
  metrics: { type: "string" },
} as const;

/** Its help text. */
export const help = `Reads the batches that edges ('serve' or 'ingest' with DNSA_BUS and no
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
  const { config, log, signal } = { ...ctx, signal: opts.signal };
  if (!config.bus) {
    throw new ConfigError("consume needs DNSA_BUS (nats://host:4222): the bus to read from");
  }
  const bus = await connectBusWithRetry(config, log, { name: "dns-analytics consume", signal });
  let jobs: Promise<void> = Promise.resolve();
  const stopHttp = new AbortController();
  try {
    await bus.setup();
    if (opts.schedule) {
      await closeAbandonedRuns(ctx.sql, config.node);
      jobs = startSchedule(ctx, signal).catch((error) =>
        log.error("scheduled jobs could not start", { job: "consume", error })
      );
    }
    let latest: ConsumeStats | null = null;
    const http = opts.metrics
      ? serveMetrics(opts.metrics, bus, () => latest, stopHttp.signal)
      : null;
    log.info("consume started", { job: "consume", stream: config.bus.stream });
    const unguard = guardCopyWriteRace((message) =>
      log.warn("connection lost during a COPY; the batch is retried", { job: "consume", message })
    );
    const summaryTimer = setInterval(() => {
      if (latest) log.info("consume summary", { job: "consume", ...latest });
    }, 60_000);
    try {
      const stats = await consumeBus(bus, {
        sql: ctx.sql,
        copy: ctx.copy,
        tz: config.logTz,
        log,
        signal,
        stopWhenIdle: opts.stopWhenIdle,
        onStats: (s) => latest = s,
      });
      await jobs;
      log.info("consume stopped", { job: "consume", ...stats });
      return stats;
    } finally {
      clearInterval(summaryTimer);
      unguard();
      stopHttp.abort();
      await http?.finished;
    }
  } finally {
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
    return new Response(formatExposition(consumeFamilies(stats(), status?.consumer ?? null)), {
      headers: { "content-type": "text/plain; version=0.0.4" },
    });
  });
}

/** The consumer's metrics: its own counters and the durable consumer's state on the bus. */
export function consumeFamilies(
  s: ConsumeStats | null,
  c: { pending: number; ackPending: number; redelivered: number } | null,
): MetricFamily[] {
  const v = (n: number | undefined) => [{ value: n ?? 0 }];
  return [
    {
      name: "dnsa_bus_consumer_pending",
      help: "Messages in the stream not yet delivered to any consumer.",
      type: "gauge",
      samples: c ? v(c.pending) : [],
    },
    {
      name: "dnsa_bus_consumer_ack_pending",
      help: "Messages delivered and not yet acknowledged (being stored).",
      type: "gauge",
      samples: c ? v(c.ackPending) : [],
    },
    {
      name: "dnsa_bus_consumer_redelivered",
      help: "Unacknowledged messages that were delivered more than once.",
      type: "gauge",
      samples: c ? v(c.redelivered) : [],
    },
    {
      name: "dnsa_bus_redeliveries_total",
      help: "Messages this process received that had been delivered before.",
      type: "counter",
      samples: v(s?.redeliveries),
    },
    {
      name: "dnsa_bus_applied_batches_total",
      help: "Batches this process stored.",
      type: "counter",
      samples: v(s?.batches),
    },
    {
      name: "dnsa_bus_applied_rows_total",
      help: "Query rows this process stored.",
      type: "counter",
      samples: v(s?.rows),
    },
    {
      name: "dnsa_bus_skipped_total",
      help: "Messages skipped because they were stored before.",
      type: "counter",
      samples: v(s?.skipped),
    },
    {
      name: "dnsa_bus_store_errors_total",
      help: "Messages that failed to store and were given back.",
      type: "counter",
      samples: v(s?.errors),
    },
  ];
}

/** `consume` from the command line. */
export async function run(ctx: JobContext, input: CommandInput): Promise<number> {
  const metrics = input.values.metrics;
  if (metrics !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(String(metrics))) {
    console.error("dns-analytics: --metrics must be HOST:PORT, e.g. 127.0.0.1:9153");
    return EXIT_USAGE;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const s = await consume(ctx, {
      signal: stop.signal,
      schedule: input.values.schedule === true,
      metrics: metrics as string | undefined,
    });
    input.out(JSON.stringify({ batches: s.batches, rows: s.rows, skipped: s.skipped }));
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}
