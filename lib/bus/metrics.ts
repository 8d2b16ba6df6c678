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

/** Name, help, type, and the family's value (undefined: no sample). */
type Row = [string, string, MetricFamily["type"], number | undefined];

function families(rows: Row[], labels?: Record<string, string>): MetricFamily[] {
  return rows.map(([name, help, type, value]) => ({
    name,
    help,
    type,
    samples: value === undefined ? [] : [labels ? { labels, value } : { value }],
  }));
}

/** The stream's and the durable consumer's state; `s` null when the bus did not answer. */
export function busStatusFamilies(s: BusStatus | null): MetricFamily[] {
  const c = s?.consumer ?? undefined;
  return families([
    ["dnsa_bus_up", "1 when the bus answered its last reading, else 0.", "gauge", s ? 1 : 0],
    [
      "dnsa_bus_stream_messages",
      "Messages the stream holds (stored or not).",
      "gauge",
      s?.stream?.messages,
    ],
    ["dnsa_bus_stream_bytes", "Bytes the stream holds.", "gauge", s?.stream?.bytes],
    [
      "dnsa_bus_consumer_pending",
      "Messages in the stream not yet delivered to any consumer.",
      "gauge",
      c?.pending,
    ],
    [
      "dnsa_bus_consumer_ack_pending",
      "Messages delivered and not yet acknowledged (being stored).",
      "gauge",
      c?.ackPending,
    ],
    [
      "dnsa_bus_consumer_redelivered",
      "Unacknowledged messages that were delivered more than once.",
      "gauge",
      c?.redelivered,
    ],
  ]);
}

/** A consumer's own counters since its start. */
export function consumeFamilies(s: ConsumeStats | null): MetricFamily[] {
  return families([
    [
      "dnsa_bus_redeliveries_total",
      "Messages this process received that had been delivered before.",
      "counter",
      s?.redeliveries ?? 0,
    ],
    ["dnsa_bus_applied_batches_total", "Batches this process stored.", "counter", s?.batches ?? 0],
    ["dnsa_bus_applied_rows_total", "Query rows this process stored.", "counter", s?.rows ?? 0],
    [
      "dnsa_bus_skipped_total",
      "Messages skipped because they were stored before.",
      "counter",
      s?.skipped ?? 0,
    ],
    [
      "dnsa_bus_store_errors_total",
      "Messages that failed to store and were given back.",
      "counter",
      s?.errors ?? 0,
    ],
  ]);
}

/** The edge's bus metrics. */
export function publishFamilies(s: PublishStats, node: string): MetricFamily[] {
  return families([
    [
      "dnsa_bus_published_batches_total",
      "Batches published to the bus and acknowledged since start.",
      "counter",
      s.batches,
    ],
    [
      "dnsa_bus_published_rows_total",
      "Query rows published to the bus since start.",
      "counter",
      s.rows,
    ],
    [
      "dnsa_bus_publish_duplicates_total",
      "Re-published batches the stream already had (dropped by its de-duplication).",
      "counter",
      s.duplicates,
    ],
    [
      "dnsa_bus_publish_retries_total",
      "Publishes retried while the bus was unreachable.",
      "counter",
      s.retries,
    ],
    [
      "dnsa_bus_publish_lag_seconds",
      "From the newest line of the last published batch to the bus's acknowledgement.",
      "gauge",
      s.lagSeconds,
    ],
    [
      "dnsa_bus_unavailable",
      "1 while publishing fails (reading is paused; the log files hold the backlog).",
      "gauge",
      s.unavailableSince === null ? 0 : 1,
    ],
  ], { node });
}
