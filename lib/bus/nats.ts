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
import { errorText } from "../error_text.ts";
import {
  asBusError,
  displayBusUrl,
  H_END,
  H_FP,
  H_NODE,
  H_PART,
  H_PARTS,
  H_START,
  HEADER_ROOM,
  isNotFound,
  limitsOf,
  readHeaders,
  toDelivery,
} from "./nats_messages.ts";

export { displayBusUrl };
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
      `Cannot connect to the bus at ${displayBusUrl(config.url)}: ${errorText(error)}`,
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
