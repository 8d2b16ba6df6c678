/**
 * The message bus between edges and the central tier, as one small interface: an edge
 * publishes each batch under a message id derived from its source position and waits for the
 * bus's acknowledgement; central workers share one durable consumer, acknowledge a message
 * after its commit, and get unacknowledged messages again. NATS JetStream implements it
 * (nats.ts); a Kafka transport would implement the same (a message id per batch, a consumer
 * group with manual commits).
 *
 * @module
 */

/** The bus's answer to a publish. */
export interface PublishAck {
  /** The bus had a message of this id already (a re-publish): it kept the first. */
  duplicate: boolean;
  /** Position of the message in the stream. */
  seq: number;
}

/** One message handed to a consumer. */
export interface Delivery {
  /** The publisher's message id. */
  readonly id: string;
  /** The node that published it. */
  readonly node: string;
  readonly data: Uint8Array;
  /** Position in the stream. */
  readonly seq: number;
  /** Times it was delivered before (0 on the first delivery). */
  readonly redeliveries: number;
  /** Done: never deliver it again. */
  ack(): Promise<void>;
  /** Not now: deliver it again after `delayMs`. */
  nak(delayMs: number): void;
  /** Still working on it: do not redeliver it yet. */
  working(): void;
}

/** The stream's limits, as `bus-setup` sets them. */
export interface StreamLimits {
  /** Messages older than this are dropped (ms; 0 = no limit). */
  maxAgeMs: number;
  /** The stream's size limit (bytes; -1 = none). The oldest messages go first. */
  maxBytes: number;
  replicas: number;
  /** Window in which a re-published message id is dropped (ms). */
  duplicateWindowMs: number;
}

/** What the bus says about the stream and the durable consumer (doctor, /metrics). */
export interface BusStatus {
  stream: { name: string; messages: number; bytes: number; limits: StreamLimits } | null;
  consumer: {
    name: string;
    /** Messages not delivered yet. */
    pending: number;
    /** Delivered, not acknowledged yet. */
    ackPending: number;
    /** Messages delivered more than once (still unacknowledged). */
    redelivered: number;
  } | null;
}

/** Headers that describe a batch without decoding it. */
export interface BatchHeaders {
  node: string;
  fingerprint: string;
  startOffset: number;
  endOffset: number;
}

/** A connection to the bus. */
export interface Bus {
  /** Publish `data` on the subject of `node`; resolves when the bus has stored it. */
  publish(data: Uint8Array, options: { msgId: string; headers: BatchHeaders }): Promise<PublishAck>;
  /** Headers of the last message `node` published that the stream still has; null if none. */
  lastPublished(node: string): Promise<BatchHeaders | null>;
  /**
   * Up to `max` messages of the durable consumer, each handed to `each` as it arrives, waiting
   * at most `expiresMs` for them; resolves with how many came.
   */
  fetch(
    options: { max: number; expiresMs: number; each: (d: Delivery) => void },
  ): Promise<number>;
  /** Create the stream and the durable consumer where missing; with `limits`, set them. */
  setup(options?: { limits?: Partial<StreamLimits> }): Promise<BusStatus>;
  status(): Promise<BusStatus>;
  close(): Promise<void>;
}

/** The bus could not be reached or did not answer; retried at the edges. */
export class BusUnavailableError extends Error {
  override name = "BusUnavailableError";
}

/** Defaults of the stream: see `bus-setup --help` and lib/bus/README.md. */
export const DEFAULT_LIMITS: StreamLimits = {
  maxAgeMs: 7 * 86_400_000,
  maxBytes: -1,
  replicas: 1,
  duplicateWindowMs: 3_600_000,
};

/** The durable consumer every `consume` process shares. */
export const CONSUMER_NAME = "dns-analytics-consume";

/**
 * The id of the message that carries a batch: the node, the file's fingerprint and the byte
 * (or, for the dnstap socket, frame) range. The same stretch published again has the same
 * id, so the stream drops it (within its duplicate window) and `consume` skips it (always).
 */
export function batchMessageId(h: BatchHeaders): string {
  return `${h.node}:${h.fingerprint}:${h.startOffset}-${h.endOffset}`;
}
