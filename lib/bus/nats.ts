/**
 * The bus on NATS JetStream (npm `nats` v2): one stream (`DNSA_BUS_STREAM`, subjects
 * `<stream>.>`), de-duplication by the `Nats-Msg-Id` header within the stream's duplicate
 * window, and one durable pull consumer shared by every `consume` process (explicit acks;
 * what is not acknowledged within the ack wait is delivered again). A batch is a message on
 * `<stream>.b.<node>`. One larger than the server's max_payload is published in parts: the
 * leading parts as messages of their own on `<stream>.p.<node>`, the last on the batch's
 * subject under its id with the others' stream positions, from which `fetch` reads them (the
 * consumer takes `<stream>.b.>` only, so a part travels to a consumer once).
 *
 * @example
 * ```ts
 * const bus = await connectNats(config.bus!, { name: "dns-analytics consume" });
 * await bus.fetch({ max: 8, expiresMs: 5000, each: (d) => d.ack() });
 * await bus.close();
 * ```
 * @module
 */
import {
  AckPolicy,
  connect,
  credsAuthenticator,
  DeliverPolicy,
  DiscardPolicy,
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  nanos,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "nats";
import { createHash } from "node:crypto";
import type { BusConfig } from "./config.ts";
import {
  type BatchHeaders,
  type Bus,
  type BusStatus,
  BusUnavailableError,
  CONSUMER_NAME,
  DEFAULT_LIMITS,
  type Delivery,
  type PublishAck,
  type StreamLimits,
} from "./bus.ts";

const H_NODE = "Dnsa-Node";
const H_FP = "Dnsa-Fingerprint";
const H_START = "Dnsa-Start";
const H_END = "Dnsa-End";
/** On a leading part of a batch larger than max_payload: `i/n`. */
const H_PART = "Dnsa-Part";
/** On the last part of such a batch: the stream sequences of its leading parts. */
const H_PARTS = "Dnsa-Parts";
/** What a message's headers may take of max_payload. */
const HEADER_ROOM = 16 * 1024;

/** How long a delivered message may stay unacknowledged before it is delivered again. */
const ACK_WAIT_MS = 30_000;

/** Connect to the bus of `config`; throws BusUnavailableError when no server answers. */
export async function connectNats(
  config: BusConfig,
  options: { name: string; timeoutMs?: number },
): Promise<Bus> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: config.url.split(","),
      name: options.name,
      timeout: options.timeoutMs ?? 5000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      ...(config.creds
        ? { authenticator: credsAuthenticator(await Deno.readFile(config.creds)) }
        : {}),
      ...(config.tlsCa ? { tls: { caFile: config.tlsCa } } : {}),
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`DNSA_BUS_CREDS: cannot read "${config.creds}": no such file`);
    }
    throw new BusUnavailableError(
      `Cannot connect to the bus at ${displayBusUrl(config.url)}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  return new NatsBus(nc, jsm, nc.jetstream(), config.stream);
}

class NatsBus implements Bus {
  #nc: NatsConnection;
  #jsm: JetStreamManager;
  #js: JetStreamClient;
  #stream: string;
  /** Whether parts can be read raw (the stream allows direct gets); null until tried. */
  #direct: boolean | null = null;

  constructor(nc: NatsConnection, jsm: JetStreamManager, js: JetStreamClient, stream: string) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = js;
    this.#stream = stream;
  }

  /** The subject of `node`'s batches; its leading parts go to {@linkcode #partSubject}. */
  #subject(node: string): string {
    return `${this.#stream}.b.${node}`;
  }

  #partSubject(node: string): string {
    return `${this.#stream}.p.${node}`;
  }

  async publish(
    data: Uint8Array,
    options: { msgId: string; headers: BatchHeaders },
  ): Promise<PublishAck> {
    const b = options.headers;
    const subject = this.#subject(b.node);
    const h = headers();
    h.set(H_NODE, b.node);
    h.set(H_FP, b.fingerprint);
    h.set(H_START, String(b.startOffset));
    h.set(H_END, String(b.endOffset));
    try {
      // Larger than the server takes: the leading parts go first, each its own message; the
      // last part carries the batch's id, headers, and the stream positions of the others.
      const max = this.#nc.info?.max_payload ?? 1 << 20;
      const room = max - Math.min(HEADER_ROOM, max >> 2);
      const parts = Math.ceil(data.length / room);
      if (parts > 1) {
        const digest = createHash("sha256").update(data).digest("hex").slice(0, 16);
        // The parts go out together (each acknowledged on its own), the batch after them all.
        const seqs = await Promise.all(
          Array.from({ length: parts - 1 }, async (_, i) => {
            const ph = headers();
            ph.set(H_NODE, b.node);
            ph.set(H_PART, `${i + 1}/${parts}`);
            const part = data.subarray(i * room, (i + 1) * room);
            const ack = await this.#js.publish(this.#partSubject(b.node), part, {
              // The digest: a batch encoded differently on a re-read never takes these parts.
              msgID: `${options.msgId}#${digest}:${i + 1}/${parts}`,
              headers: ph,
              timeout: 10_000,
            });
            return ack.seq;
          }),
        );
        h.set(H_PARTS, seqs.join(","));
        data = data.subarray((parts - 1) * room);
      }
      const ack = await this.#js.publish(subject, data, {
        msgID: options.msgId,
        headers: h,
        timeout: 10_000,
      });
      return { duplicate: ack.duplicate, seq: ack.seq };
    } catch (error) {
      throw asBusError(error, "publish");
    }
  }

  async lastPublished(node: string): Promise<BatchHeaders | null> {
    try {
      const m = await this.#jsm.streams.getMessage(this.#stream, {
        last_by_subj: this.#subject(node),
      });
      return readHeaders(m.header);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw asBusError(error, "read the last message");
    }
  }

  async fetch(
    options: { max: number; expiresMs: number; each: (d: Delivery) => void },
  ): Promise<number> {
    let n = 0;
    try {
      const consumer = await this.#js.consumers.get(this.#stream, CONSUMER_NAME);
      const iter = await consumer.fetch({
        max_messages: options.max,
        expires: options.expiresMs,
      });
      for await (const m of iter) {
        // A leading part of a large batch: read with its last part (below), done here.
        if (m.headers?.get(H_PART)) m.ack();
        else {
          n++;
          options.each(toDelivery(m, await this.#assemble(m)));
        }
      }
    } catch (error) {
      if (n > 0) return n;
      throw asBusError(error, "fetch");
    }
    return n;
  }

  /**
   * Message `seq` of the stream, null when gone. A direct get (the stream allows it, as
   * `setup` makes it) returns the data as it is; the stream API's answer is JSON with the
   * data in base64, which costs the consumer more than the rest of a large batch.
   */
  async #part(seq: number): Promise<Uint8Array | null> {
    if (this.#direct !== false) {
      try {
        // The manager has direct gets (JetStreamManagerImpl.direct); its interface omits them.
        const direct = (this.#jsm as unknown as { direct: DirectGets }).direct;
        const m = await direct.getMessage(this.#stream, { seq });
        this.#direct = true;
        return m.data;
      } catch (error) {
        if (isNotFound(error)) return null;
        if (this.#direct === true) throw error;
        this.#direct = false; // a stream made before direct gets were allowed
      }
    }
    const part = await this.#jsm.streams.getMessage(this.#stream, { seq }).catch((e) => {
      if (isNotFound(e)) return null;
      throw e;
    });
    return part?.data ?? null;
  }

  /** The data of the batch `m` ends: its leading parts read from the stream, then its own. */
  async #assemble(m: JsMsg): Promise<Uint8Array> {
    const list = m.headers?.get(H_PARTS);
    if (!list) return m.data;
    const chunks: Uint8Array[] = [];
    for (const seq of list.split(",").map(Number)) {
      const part = await this.#part(seq);
      // A part gone (the stream's limits dropped it): the batch cannot be decoded.
      if (!part) return new Uint8Array();
      chunks.push(part);
    }
    chunks.push(m.data);
    const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }
    return data;
  }

  async setup(options: { limits?: Partial<StreamLimits> } = {}): Promise<BusStatus> {
    const wanted = options.limits;
    try {
      const info = await this.#jsm.streams.info(this.#stream).catch((e) => {
        if (isNotFound(e)) return null;
        throw e;
      });
      if (!info) {
        await this.#jsm.streams.add(this.#streamConfig({ ...DEFAULT_LIMITS, ...wanted }));
      } else if (wanted && Object.keys(wanted).length > 0) {
        const current = limitsOf(info.config);
        await this.#jsm.streams.update(
          this.#stream,
          this.#streamConfig({ ...current, ...wanted }),
        );
      }
      const consumer = await this.#jsm.consumers.info(this.#stream, CONSUMER_NAME).catch((e) => {
        if (isNotFound(e)) return null;
        throw e;
      });
      if (!consumer) {
        await this.#jsm.consumers.add(this.#stream, {
          durable_name: CONSUMER_NAME,
          filter_subject: `${this.#stream}.b.>`,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(ACK_WAIT_MS),
          max_ack_pending: 256,
          max_deliver: -1,
        });
      }
    } catch (error) {
      throw asBusError(error, "set up the stream");
    }
    return await this.status();
  }

  #streamConfig(l: StreamLimits): Partial<StreamConfig> & { name: string } {
    return {
      name: this.#stream,
      subjects: [`${this.#stream}.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(l.maxAgeMs),
      max_bytes: l.maxBytes,
      num_replicas: l.replicas,
      duplicate_window: nanos(l.duplicateWindowMs),
      allow_direct: true, // parts of large batches are read raw (#part)
    };
  }

  async status(): Promise<BusStatus> {
    const result: BusStatus = { stream: null, consumer: null };
    try {
      const s = await this.#jsm.streams.info(this.#stream).catch((e) => {
        if (isNotFound(e)) return null;
        throw e;
      });
      if (!s) return result;
      result.stream = {
        name: this.#stream,
        messages: s.state.messages,
        bytes: s.state.bytes,
        limits: limitsOf(s.config),
      };
      const c = await this.#jsm.consumers.info(this.#stream, CONSUMER_NAME).catch((e) => {
        if (isNotFound(e)) return null;
        throw e;
      });
      if (c) {
        result.consumer = {
          name: CONSUMER_NAME,
          pending: c.num_pending,
          ackPending: c.num_ack_pending,
          redelivered: c.num_redelivered,
        };
      }
      return result;
    } catch (error) {
      throw asBusError(error, "read the stream's state");
    }
  }

  async close(): Promise<void> {
    await this.#nc.close().catch(() => {});
  }
}

/** The direct get of the stream manager (nats.js has it, its type does not say so). */
interface DirectGets {
  getMessage(stream: string, query: { seq: number }): Promise<{ data: Uint8Array }>;
}

function limitsOf(c: StreamConfig): StreamLimits {
  return {
    maxAgeMs: Math.round(c.max_age / 1e6),
    maxBytes: c.max_bytes,
    replicas: c.num_replicas,
    duplicateWindowMs: Math.round((c.duplicate_window ?? 0) / 1e6),
  };
}

function readHeaders(
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

function toDelivery(m: JsMsg, data: Uint8Array): Delivery {
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

function isNotFound(error: unknown): boolean {
  const e = error as { api_error?: { code?: number }; code?: string };
  return e?.api_error?.code === 404 || e?.code === "404";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Failures of the connection become BusUnavailableError (the caller retries those). */
function asBusError(error: unknown, what: string): Error {
  const e = error as { code?: string; api_error?: unknown };
  if (e?.api_error) {
    return new Error(`The bus refused to ${what}: ${errorMessage(error)}`, { cause: error });
  }
  if (e?.code === "MAX_PAYLOAD_EXCEEDED") {
    return new Error(
      `The bus refused to ${what}: the message is larger than the server's max_payload ` +
        "(lower --batch-rows, or raise max_payload in nats-server.conf)",
      { cause: error },
    );
  }
  return new BusUnavailableError(`Cannot ${what} on the bus: ${errorMessage(error)}`, {
    cause: error,
  });
}
