/**
 * Decoding one dnstap frame (protobuf `dnstap.Dnstap`, schema in dnstap.proto, decoded with
 * protobufjs) into the fields a row needs.
 *
 * @module
 */
import protobuf from "protobufjs";
import protoText from "./dnstap.proto" with { type: "text" };
import { errorText } from "../error_text.ts";

// resolveAll() makes the schema's `required` fields required when decoding.
const DNSTAP = protobuf.parse(protoText).root.resolveAll().lookupType("dnstap.Dnstap");

/** dnstap Message.Type values this program reads. */
export const MessageType = { CLIENT_QUERY: 5, CLIENT_RESPONSE: 6 } as const;

/** SocketProtocol → the transport column. */
const TRANSPORTS: Record<number, string> = {
  1: "udp",
  2: "tcp",
  3: "dot",
  4: "doh",
  5: "dnscrypt-udp",
  6: "dnscrypt-tcp",
  7: "doq",
};

/** One decoded frame. Times are microseconds since the epoch. */
export interface DnstapRecord {
  type: number;
  transport: string | null;
  queryAddress: Uint8Array | null;
  queryPort: number | null;
  responseAddress: Uint8Array | null;
  responsePort: number | null;
  queryTimeUs: number | null;
  responseTimeUs: number | null;
  queryMessage: Uint8Array | null;
  responseMessage: Uint8Array | null;
}

/** A frame that is not a dnstap message. */
export class DnstapDecodeError extends Error {
  override name = "DnstapDecodeError";
}

type Long = { toNumber(): number };
interface Decoded {
  type?: number;
  message?: {
    type?: number;
    socketProtocol?: number;
    queryAddress?: Uint8Array;
    queryPort?: number;
    responseAddress?: Uint8Array;
    responsePort?: number;
    queryTimeSec?: number | Long;
    queryTimeNsec?: number;
    responseTimeSec?: number | Long;
    responseTimeNsec?: number;
    queryMessage?: Uint8Array;
    responseMessage?: Uint8Array;
  };
}

const num = (v: number | Long | undefined) =>
  v === undefined ? 0 : typeof v === "number" ? v : v.toNumber();
const bytes = (v: Uint8Array | undefined) => v !== undefined && v.length > 0 ? v : null;
// protobufjs answers an absent field with its default from the prototype; a field that was on
// the wire is an own property.
const has = (m: object, field: string) => Object.hasOwn(m, field);

/** Decode `payload`; throws DnstapDecodeError when it is not a dnstap message. */
export function decodeDnstap(payload: Uint8Array): DnstapRecord {
  let d: Decoded;
  try {
    d = DNSTAP.decode(payload) as unknown as Decoded;
  } catch (error) {
    throw new DnstapDecodeError(
      `not a dnstap message: ${errorText(error)}`,
    );
  }
  const m = d.message;
  if (!m || !has(d, "message") || !has(m, "type")) {
    throw new DnstapDecodeError("dnstap frame without a message");
  }
  const qs = has(m, "queryTimeSec") ? num(m.queryTimeSec) : 0;
  const rs = has(m, "responseTimeSec") ? num(m.responseTimeSec) : 0;
  return {
    type: m.type!,
    transport: has(m, "socketProtocol") ? TRANSPORTS[m.socketProtocol!] ?? null : null,
    queryAddress: has(m, "queryAddress") ? bytes(m.queryAddress) : null,
    queryPort: has(m, "queryPort") ? m.queryPort! : null,
    responseAddress: has(m, "responseAddress") ? bytes(m.responseAddress) : null,
    responsePort: has(m, "responsePort") ? m.responsePort! : null,
    queryTimeUs: qs > 0 ? qs * 1e6 + Math.floor((m.queryTimeNsec ?? 0) / 1000) : null,
    responseTimeUs: rs > 0 ? rs * 1e6 + Math.floor((m.responseTimeNsec ?? 0) / 1000) : null,
    queryMessage: has(m, "queryMessage") ? bytes(m.queryMessage) : null,
    responseMessage: has(m, "responseMessage") ? bytes(m.responseMessage) : null,
  };
}
