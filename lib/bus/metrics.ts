/**
 * The bus's Prometheus families: an edge's publishing ({@linkcode publishFamilies}), a
 * consumer's own counters ({@linkcode consumeFamilies}) and the stream's and durable
 * consumer's state as the bus reports it ({@linkcode busStatusFamilies}: central `serve` and
 * `consume --metrics`).
 *
 * @module
 */
import type { MetricFamily } from "../metrics.ts";
import type { BusStatus } from "./bus.ts";
import type { ConsumeStats } from "./consumer.ts";
import type { PublishStats } from "./edge_store.ts";

/** The stream's and the durable consumer's state; `s` null when the bus did not answer. */
export function busStatusFamilies(s: BusStatus | null): MetricFamily[] {
  const c = s?.consumer ?? null;
  const v = (n: number) => [{ value: n }];
  return [
    {
      name: "dnsa_bus_up",
      help: "1 when the bus answered its last reading, else 0.",
      type: "gauge",
      samples: v(s ? 1 : 0),
    },
    {
      name: "dnsa_bus_stream_messages",
      help: "Messages the stream holds (stored or not).",
      type: "gauge",
      samples: s?.stream ? v(s.stream.messages) : [],
    },
    {
      name: "dnsa_bus_stream_bytes",
      help: "Bytes the stream holds.",
      type: "gauge",
      samples: s?.stream ? v(s.stream.bytes) : [],
    },
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
  ];
}

/** A consumer's own counters since its start. */
export function consumeFamilies(s: ConsumeStats | null): MetricFamily[] {
  const v = (n: number | undefined) => [{ value: n ?? 0 }];
  return [
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

/** The edge's bus metrics. */
export function publishFamilies(s: PublishStats, node: string): MetricFamily[] {
  const labels = { node };
  return [
    {
      name: "dnsa_bus_published_batches_total",
      help: "Batches published to the bus and acknowledged since start.",
      type: "counter",
      samples: [{ labels, value: s.batches }],
    },
    {
      name: "dnsa_bus_published_rows_total",
      help: "Query rows published to the bus since start.",
      type: "counter",
      samples: [{ labels, value: s.rows }],
    },
    {
      name: "dnsa_bus_publish_duplicates_total",
      help: "Re-published batches the stream already had (dropped by its de-duplication).",
      type: "counter",
      samples: [{ labels, value: s.duplicates }],
    },
    {
      name: "dnsa_bus_publish_retries_total",
      help: "Publishes retried while the bus was unreachable.",
      type: "counter",
      samples: [{ labels, value: s.retries }],
    },
    {
      name: "dnsa_bus_publish_lag_seconds",
      help: "From the newest line of the last published batch to the bus's acknowledgement.",
      type: "gauge",
      samples: [{ labels, value: s.lagSeconds }],
    },
    {
      name: "dnsa_bus_unavailable",
      help: "1 while publishing fails (reading is paused; the log files hold the backlog).",
      type: "gauge",
      samples: [{ labels, value: s.unavailableSince === null ? 0 : 1 }],
    },
  ];
}
