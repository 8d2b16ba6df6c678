/**
 * The demo's dnstap: the frames named writes with `dnstap { client query; client response; }`
 * for each simulated query: a CLIENT_QUERY stamped with the query's arrival, and a
 * CLIENT_RESPONSE stamped with the answer's time (so the join gives the response time), holding
 * the real DNS messages (question, EDNS OPT with DO and cookie, answers or the SOA of a
 * negative answer, TC on a rate-limited slip). A dropped answer has no CLIENT_RESPONSE.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import dnsPacket from "dns-packet";
import { encodeDnstap } from "../dnstap/encode.ts";
import { encodeData } from "../dnstap/fstrm.ts";
import { MessageType } from "../dnstap/message.ts";
import type { SimulatedQuery } from "./traffic.ts";

/** One data frame and the time (µs) named writes it. */
export interface TimedFrame {
  atUs: number;
  frame: Uint8Array;
}

const RCODE_NUMBERS = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
// dns-packet has no name for HTTPS (65).
const PACKET_TYPES: Record<string, string> = { HTTPS: "UNKNOWN_65" };
const QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100, RA = 0x0080;

function wire(packet: unknown): Uint8Array {
  // deno-lint-ignore no-explicit-any
  const buf: Buffer = dnsPacket.encode(packet as any);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
}

function opt(q: SimulatedQuery, cookieLength: number): unknown[] {
  if (!q.flags.includes("E(")) return [];
  return [{
    type: "OPT",
    name: ".",
    udpPayloadSize: 1232,
    flags: q.flags.includes("D") ? dnsPacket.DNSSEC_OK : 0,
    options: q.flags.includes("K") ? [{ code: 10, data: Buffer.alloc(cookieLength, 7) }] : [],
  }];
}

/** The records of a NOERROR answer to `q` (none for types answered with NODATA here). */
function answers(q: SimulatedQuery): unknown[] {
  const ttl = q.answer.ttl, name = q.name;
  const seed = q.id;
  switch (q.qtype) {
    case "A":
      return [0, 1].slice(0, 1 + (seed & 1)).map((i) => ({
        type: "A",
        name,
        ttl,
        data: `142.250.${(seed >> 8) & 0xff}.${(seed + i) & 0xff}`,
      }));
    case "AAAA":
      return [{ type: "AAAA", name, ttl, data: `2a00:1450:4001::${(seed & 0xfff).toString(16)}` }];
    case "PTR":
      return [{ type: "PTR", name, ttl, data: `host-${seed & 0xff}.codeandcore.home` }];
    case "TXT":
      return [{ type: "TXT", name, ttl, data: ["v=spf1 include:_spf.example.net ~all"] }];
    case "MX":
      return [{ type: "MX", name, ttl, data: { preference: 10, exchange: `mx.${name}` } }];
    default:
      return [];
  }
}

function soa(q: SimulatedQuery): unknown[] {
  const zone = q.name.split(".").slice(-2).join(".");
  return [{
    type: "SOA",
    name: zone,
    ttl: 900,
    data: {
      mname: `ns1.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 2026112501,
      refresh: 7200,
      retry: 3600,
      expire: 1209600,
      minimum: 900,
    },
  }];
}

/** The CLIENT_QUERY and (unless the answer was dropped) CLIENT_RESPONSE frames of `q`. */
export function dnstapFrames(
  q: SimulatedQuery,
  options: { atUs: number; identity?: string },
): TimedFrame[] {
  const question = { type: PACKET_TYPES[q.qtype] ?? q.qtype, name: q.name, class: "IN" };
  const rd = q.flags.startsWith("+") ? RD : 0;
  const common = {
    transport: q.flags.includes("T") ? "tcp" as const : "udp" as const,
    queryAddress: q.client,
    queryPort: q.port,
    responseAddress: q.server,
    responsePort: 53,
    identity: options.identity,
  };
  const query = wire({
    type: "query",
    id: q.id,
    flags: rd,
    questions: [question],
    additionals: opt(q, 8),
  });
  const frames: TimedFrame[] = [{
    atUs: options.atUs,
    frame: encodeData(encodeDnstap({
      ...common,
      type: MessageType.CLIENT_QUERY,
      queryTimeUs: options.atUs,
      queryMessage: query,
    })),
  }];
  const a = q.answer;
  if (a.rrl === "drop") return frames;
  const full = a.rrl !== "slip";
  const records = full && a.rcode === "NOERROR" ? answers(q) : [];
  const response = wire({
    type: "response",
    id: q.id,
    flags: QR | rd | RA | (a.cache === "auth" ? AA : 0) | (full ? 0 : TC) |
      RCODE_NUMBERS[a.rcode],
    questions: [question],
    answers: records,
    authorities: full && (a.rcode === "NXDOMAIN" || records.length === 0) &&
        (a.rcode === "NOERROR" || a.rcode === "NXDOMAIN")
      ? soa(q)
      : [],
    additionals: opt(q, 24),
  });
  const atUs = options.atUs + a.latencyUs;
  frames.push({
    atUs,
    frame: encodeData(encodeDnstap({
      ...common,
      type: MessageType.CLIENT_RESPONSE,
      queryTimeUs: options.atUs,
      responseTimeUs: atUs,
      responseMessage: response,
    })),
  });
  return frames;
}
