/**
 * Shared helpers of the dnstap tests: the real BIND 9.18 dnstap fixtures (xz-compressed,
 * decompressed with the `xz` CLI), a Frame Streams splitter and a protobuf decoder written
 * here independently of lib/dnstap, synthetic dnstap frames encoded with protobufjs, and DNS
 * messages encoded with dns-packet.
 *
 * Not a test file itself (no `_test` suffix).
 */
import { Buffer } from "node:buffer";
import dnsPacket from "dns-packet";
import dnsClasses from "dns-packet/classes.js";
import dnsRcodes from "dns-packet/rcodes.js";
import dnsTypes from "dns-packet/types.js";
import protobuf from "protobufjs";
import { missing } from "../programs.ts";

export const FIXTURE_DIR = new URL("../fixtures/bind-9.18/", import.meta.url);

/** `ground_truth.json` → `server_side_dnstap`. */
export interface DnstapTruth {
  frames: number;
  by_message_type: Record<string, number>;
  response_rcode: Record<string, number>;
  response_tc: number;
  query_transport: Record<string, number>;
  response_transport: Record<string, number>;
  query_client_ip: Record<string, number>;
  response_client_ip: Record<string, number>;
  query_qtype: Record<string, number>;
}

export async function dnstapTruth(): Promise<
  DnstapTruth & { per_file: Record<string, DnstapTruth> }
> {
  const all = JSON.parse(await Deno.readTextFile(new URL("ground_truth.json", FIXTURE_DIR)));
  return all.server_side_dnstap;
}

export const FIXTURES = ["dnstap-1.fstrm", "dnstap-2.fstrm"] as const;
export type FixtureName = typeof FIXTURES[number];

const cache = new Map<string, Uint8Array>();

/** The fixtures are xz files: their tests are ignored where xz is not installed. */
export const NO_XZ = missing("xz");

/** The decompressed bytes of a dnstap fixture (`xz -dc`). */
export async function fixtureBytes(name: FixtureName): Promise<Uint8Array> {
  const hit = cache.get(name);
  if (hit) return hit;
  const path = new URL(`${name}.xz`, FIXTURE_DIR).pathname;
  const out = await new Deno.Command("xz", {
    args: ["-dc", path],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(`xz -dc ${path}: ${new TextDecoder().decode(out.stderr)}`);
  cache.set(name, out.stdout);
  return out.stdout;
}

/** One frame found by {@linkcode splitFrames}. */
export interface RawFrame {
  control: boolean;
  /** Control type, or 0 for data frames. */
  type: number;
  /** Data: the payload; control: the control body after the type. */
  payload: Uint8Array;
  start: number;
  end: number;
}

const u32 = (b: Uint8Array, p: number) =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(p);

/** A plain Frame Streams splitter (throws on a truncated stream). */
export function splitFrames(bytes: Uint8Array): RawFrame[] {
  const frames: RawFrame[] = [];
  let p = 0;
  while (p < bytes.length) {
    if (p + 4 > bytes.length) throw new Error(`truncated frame at ${p}`);
    const len = u32(bytes, p);
    if (len > 0) {
      if (p + 4 + len > bytes.length) throw new Error(`truncated data frame at ${p}`);
      frames.push({
        control: false,
        type: 0,
        payload: bytes.subarray(p + 4, p + 4 + len),
        start: p,
        end: p + 4 + len,
      });
      p += 4 + len;
    } else {
      const clen = u32(bytes, p + 4);
      if (p + 8 + clen > bytes.length) throw new Error(`truncated control frame at ${p}`);
      frames.push({
        control: true,
        type: u32(bytes, p + 8),
        payload: bytes.subarray(p + 12, p + 8 + clen),
        start: p,
        end: p + 8 + clen,
      });
      p += 8 + clen;
    }
  }
  return frames;
}

const root = protobuf.parse(
  await Deno.readTextFile(new URL("../../lib/dnstap/dnstap.proto", import.meta.url)),
).root;
/** protobufjs type `dnstap.Dnstap`, parsed here from the .proto file on disk. */
export const DnstapType = root.lookupType("dnstap.Dnstap");

/** The fields of a dnstap Message as protobufjs gives them (64-bit values as numbers). */
export interface RawMessage {
  type: number;
  socketFamily?: number;
  socketProtocol?: number;
  queryAddress?: Uint8Array;
  responseAddress?: Uint8Array;
  queryPort?: number;
  responsePort?: number;
  queryTimeSec?: number;
  queryTimeNsec?: number;
  queryMessage?: Uint8Array;
  responseTimeSec?: number;
  responseTimeNsec?: number;
  responseMessage?: Uint8Array;
}

function toNum(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return v;
  return Number(String(v)); // a Long
}

/** Decode a dnstap payload with protobufjs directly (no lib/dnstap code). */
export function rawMessage(payload: Uint8Array): RawMessage {
  const d = DnstapType.toObject(DnstapType.decode(payload), { bytes: Uint8Array as never }) as {
    message: Record<string, unknown>;
  };
  const m = d.message;
  return {
    ...(m as unknown as RawMessage),
    queryTimeSec: toNum(m.queryTimeSec),
    responseTimeSec: toNum(m.responseTimeSec),
  };
}

/** Encode a dnstap frame payload (Dnstap type MESSAGE) holding `message`. */
export function encodeDnstap(message: RawMessage | null, extra: Record<string, unknown> = {}) {
  const obj: Record<string, unknown> = { type: 1, ...extra };
  if (message) obj.message = message;
  const err = DnstapType.verify(obj);
  if (err) throw new Error(`bad synthetic dnstap: ${err}`);
  return DnstapType.encode(DnstapType.fromObject(obj)).finish();
}

/** A DNS message encoded by dns-packet, as a Uint8Array. */
// deno-lint-ignore no-explicit-any
export function dnsWire(packet: any): Uint8Array {
  const buf: Buffer = dnsPacket.encode(packet);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
}

/** A DNS message decoded by dns-packet. */
// deno-lint-ignore no-explicit-any
export function dnsDecode(wire: Uint8Array): any {
  return dnsPacket.decode(Buffer.from(wire));
}

/** The number of a dns-packet type name (`A` → 1, `UNKNOWN_65` → 65). */
export function packetTypeNumber(t: string): number {
  const n: number = dnsTypes.toType(t);
  if (n === 0) throw new Error(`dns-packet type ${t} has no number`);
  return n;
}

/** The number of a dns-packet class name (`IN` → 1, `UNKNOWN_9` → 9). */
export function packetClassNumber(c: string): number {
  if (c.startsWith("UNKNOWN_")) return Number(c.slice(8));
  const n: number = dnsClasses.toClass(c);
  if (n === 0) throw new Error(`dns-packet class ${c} has no number`);
  return n;
}

/** The number of a dns-packet header rcode name (`NXDOMAIN` → 3, `RCODE_11` → 11). */
export function packetRcodeNumber(r: string): number {
  if (r.startsWith("RCODE_")) return Number(r.slice(6));
  const n: number = dnsRcodes.toRcode(r);
  if (n === 0 && r !== "NOERROR") throw new Error(`dns-packet rcode ${r} has no number`);
  return n;
}

/**
 * BIND's mnemonic for a dns-packet type name, written out here (not taken from wire.ts):
 * dns-packet's own names where it has one, the few newer types it lacks, else `TYPEnnn`.
 */
export function bindTypeOfPacket(t: string): string {
  if (!t.startsWith("UNKNOWN_")) return t;
  const n = Number(t.slice(8));
  return ({ 64: "SVCB", 65: "HTTPS", 62: "CSYNC", 63: "ZONEMD" } as Record<number, string>)[n] ??
    `TYPE${n}`;
}

/** Count `key` in `counts`. */
export function tally(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Hex of bytes. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
