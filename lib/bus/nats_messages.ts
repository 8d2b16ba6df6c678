/**
 * What the NATS bus puts on and reads off a message: the batch headers, deliveries built from
 * JetStream messages, stream limits, and the errors of the nats client turned into the
 * program's (a lost connection is {@linkcode BusUnavailableError}, which callers retry).
 *
 * @module
 */
import type { JsMsg, StreamConfig } from "nats";
import { errorText } from "../error_text.ts";
import { type BatchHeaders, BusUnavailableError, type Delivery, type StreamLimits } from "./bus.ts";

export const H_NODE = "Dnsa-Node";
export const H_FP = "Dnsa-Fingerprint";
export const H_START = "Dnsa-Start";
export const H_END = "Dnsa-End";
/** On a leading part of a batch larger than max_payload: `i/n`. */
export const H_PART = "Dnsa-Part";
/** On the last part of such a batch: the stream sequences of its leading parts. */
export const H_PARTS = "Dnsa-Parts";
/** What a message's headers may take of max_payload. */
export const HEADER_ROOM = 16 * 1024;

export function limitsOf(c: StreamConfig): StreamLimits {
  return {
    maxAgeMs: Math.round(c.max_age / 1e6),
    maxBytes: c.max_bytes,
    replicas: c.num_replicas,
    duplicateWindowMs: Math.round((c.duplicate_window ?? 0) / 1e6),
  };
}

export function readHeaders(
  h: { get(k: string): string } | undefined,
): BatchHeaders | null {
  if (!h) return null;
  const node = h.get(H_NODE), fingerprint = h.get(H_FP);
  const start = Number(h.get(H_START)), end = Number(h.get(H_END));
  if (!node || !fingerprint || !Number.isSafeInteger(end) || !Number.isSafeInteger(start)) {
    return null;
  }
  return { node, fingerprint, startOffset: start, endOffset: end };
}

export function toDelivery(m: JsMsg, data: Uint8Array): Delivery {
  const id = m.headers?.get("Nats-Msg-Id") ?? `seq:${m.seq}`;
  return {
    id,
    node: m.headers?.get(H_NODE) ?? "",
    data,
    seq: m.seq,
    redeliveries: Math.max(0, m.info.redeliveryCount - 1),
    async ack() {
      // Confirmed, so a lost ack shows as an error here rather than as a redelivery later.
      await m.ackAck({ timeout: 10_000 }).catch(() => m.ack());
    },
    nak: (delayMs) => m.nak(delayMs),
    working: () => m.working(),
  };
}

/** `url` without user names and passwords (`nats://user:pw@host` → `nats://host`). */
export function displayBusUrl(url: string): string {
  return url.replace(/(^|,)([a-z]+:\/\/)[^@,/]*@/g, "$1$2");
}

export function isNotFound(error: unknown): boolean {
  const e = error as { api_error?: { code?: number }; code?: string };
  return e?.api_error?.code === 404 || e?.code === "404";
}

/** Failures of the connection become BusUnavailableError (the caller retries those). */
export function asBusError(error: unknown, what: string): Error {
  const e = error as { code?: string; api_error?: unknown };
  if (e?.api_error) {
    return new Error(`The bus refused to ${what}: ${errorText(error)}`, { cause: error });
  }
  if (e?.code === "MAX_PAYLOAD_EXCEEDED") {
    return new Error(
      `The bus refused to ${what}: the message is larger than the server's max_payload ` +
        "(lower --batch-rows, or raise max_payload in nats-server.conf)",
      { cause: error },
    );
  }
  return new BusUnavailableError(`Cannot ${what} on the bus: ${errorText(error)}`, {
    cause: error,
  });
}
