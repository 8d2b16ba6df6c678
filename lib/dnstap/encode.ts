/**
 * Encoding one dnstap message (protobuf `dnstap.Dnstap`, dnstap.proto) as named writes it:
 * the inverse of message.ts, for the demo's simulated named and for tests.
 *
 * @example
 * ```ts
 * const payload = encodeDnstap({
 *   type: MessageType.CLIENT_QUERY, transport: "udp", queryAddress: "192.168.238.20",
 *   queryPort: 40000, responseAddress: "192.168.238.128", responsePort: 53,
 *   queryTimeUs: Date.now() * 1000, queryMessage: wire,
 * });
 * const frame = encodeData(payload); // fstrm.ts
 * ```
 * @module
 */
import protobuf from "protobufjs";
import protoText from "./dnstap.proto" with { type: "text" };

const DNSTAP = protobuf.parse(protoText).root.resolveAll().lookupType("dnstap.Dnstap");

const PROTOCOLS: Record<string, number> = { udp: 1, tcp: 2, dot: 3, doh: 4 };

/** One message to encode; addresses as text, times in µs since the epoch. */
export interface DnstapMessageInput {
  /** Message.Type (MessageType in message.ts: CLIENT_QUERY 5, CLIENT_RESPONSE 6). */
  type: number;
  transport: "udp" | "tcp" | "dot" | "doh";
  queryAddress: string;
  queryPort: number;
  responseAddress: string;
  responsePort: number;
  queryTimeUs?: number;
  responseTimeUs?: number;
  queryMessage?: Uint8Array;
  responseMessage?: Uint8Array;
  /** `dnstap-identity` (named: the host name). */
  identity?: string;
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address in text. */
export function addressBytes(text: string): Uint8Array {
  if (!text.includes(":")) return Uint8Array.from(text.split(".").map(Number));
  const [head, tail = ""] = text.includes("::") ? text.split("::") : [text, ""];
  const h = head ? head.split(":") : [], t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

const TEXT = new TextEncoder();

/** The protobuf bytes of `m` (a data frame's payload). */
export function encodeDnstap(m: DnstapMessageInput): Uint8Array {
  const message: Record<string, unknown> = {
    type: m.type,
    socketFamily: m.queryAddress.includes(":") ? 2 : 1,
    socketProtocol: PROTOCOLS[m.transport],
    queryAddress: addressBytes(m.queryAddress),
    responseAddress: addressBytes(m.responseAddress),
    queryPort: m.queryPort,
    responsePort: m.responsePort,
  };
  if (m.queryTimeUs !== undefined) {
    message.queryTimeSec = Math.floor(m.queryTimeUs / 1e6);
    message.queryTimeNsec = (m.queryTimeUs % 1e6) * 1000;
  }
  if (m.responseTimeUs !== undefined) {
    message.responseTimeSec = Math.floor(m.responseTimeUs / 1e6);
    message.responseTimeNsec = (m.responseTimeUs % 1e6) * 1000;
  }
  if (m.queryMessage) message.queryMessage = m.queryMessage;
  if (m.responseMessage) message.responseMessage = m.responseMessage;
  return DNSTAP.encode(DNSTAP.fromObject({
    type: 1,
    ...(m.identity ? { identity: TEXT.encode(m.identity) } : {}),
    version: TEXT.encode("BIND 9.18"),
    message,
  })).finish();
}
