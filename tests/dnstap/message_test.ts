/**
 * decodeDnstap on the real fixture frames (counts against dnstap-read's ground truth, fields
 * against a protobufjs decode written in the test) and on broken input (only
 * DnstapDecodeError may come out).
 */
import assert from "node:assert/strict";
import { decodeDnstap, DnstapDecodeError, type DnstapRecord } from "../../lib/dnstap/message.ts";
import { addressText } from "../../lib/dnstap/wire.ts";
import {
  dnstapTruth,
  DnstapType,
  encodeDnstap,
  fixtureBytes,
  FIXTURES,
  NO_XZ,
  rawMessage,
  splitFrames,
  tally,
} from "./fixture_frames.ts";

const truth = await dnstapTruth();
const TYPE_NAMES: Record<number, string> = { 5: "CLIENT_QUERY", 6: "CLIENT_RESPONSE" };

/** Decode `payload`; anything thrown must be a DnstapDecodeError. */
function decodeOrError(payload: Uint8Array, what: string): DnstapRecord | DnstapDecodeError {
  try {
    return decodeDnstap(payload);
  } catch (error) {
    assert.ok(
      error instanceof DnstapDecodeError,
      `${what}: expected DnstapDecodeError, got ${(error as Error)?.name}: ${error}`,
    );
    return error;
  }
}

for (const name of FIXTURES) {
  Deno.test(`message: ${name} frames decode to client queries/responses as dnstap-read counted`, {
    ignore: NO_XZ,
  }, async () => {
    const want = truth.per_file[name];
    const byType: Record<string, number> = {};
    const qTransport: Record<string, number> = {};
    const rTransport: Record<string, number> = {};
    const qClient: Record<string, number> = {};
    const rClient: Record<string, number> = {};
    let frames = 0;
    for (const f of splitFrames(await fixtureBytes(name))) {
      if (f.control) continue;
      frames++;
      const rec = decodeDnstap(f.payload);
      const raw = rawMessage(f.payload);
      assert.ok(rec.type === 5 || rec.type === 6, `type ${rec.type} at ${f.start}`);
      tally(byType, TYPE_NAMES[rec.type]);
      const transport = rec.transport?.toUpperCase() ?? "NONE";
      tally(rec.type === 5 ? qTransport : rTransport, transport);
      tally(rec.type === 5 ? qClient : rClient, addressText(rec.queryAddress!) ?? "?");

      // Field by field against protobufjs used directly.
      const where = `${name} @${f.start}`;
      assert.equal(rec.type, raw.type, where);
      assert.equal(
        rec.transport,
        ({ 1: "udp", 2: "tcp" } as Record<number, string>)[raw.socketProtocol!],
        where,
      );
      assert.deepEqual(rec.queryAddress, raw.queryAddress, where);
      assert.deepEqual(rec.responseAddress, raw.responseAddress, where);
      assert.equal(rec.queryPort, raw.queryPort, where);
      assert.equal(rec.responsePort, raw.responsePort, where);
      assert.equal(rec.responsePort, 5363, `${where}: named listened on 5363`);
      const us = (sec?: number, nsec?: number) =>
        sec === undefined ? null : sec * 1_000_000 + Math.floor((nsec ?? 0) / 1000);
      assert.equal(rec.queryTimeUs, us(raw.queryTimeSec, raw.queryTimeNsec), where);
      assert.equal(rec.responseTimeUs, us(raw.responseTimeSec, raw.responseTimeNsec), where);
      if (rec.type === 5) {
        assert.deepEqual(rec.queryMessage, raw.queryMessage, where);
        assert.equal(rec.responseMessage, null, where);
        assert.ok(rec.queryTimeUs !== null, where);
      } else {
        assert.deepEqual(rec.responseMessage, raw.responseMessage, where);
        assert.ok(rec.responseTimeUs !== null, where);
      }
      // The capture ran on 2026-11-25 between 20:43 and 20:46 UTC.
      const t = rec.queryTimeUs ?? rec.responseTimeUs!;
      assert.ok(
        t >= Date.UTC(2026, 10, 25, 20, 43) * 1000 && t < Date.UTC(2026, 10, 25, 20, 46) * 1000,
        `${where}: time ${new Date(t / 1000).toISOString()}`,
      );
    }
    assert.equal(frames, want.frames);
    assert.deepEqual(byType, want.by_message_type);
    assert.deepEqual(qTransport, want.query_transport);
    assert.deepEqual(rTransport, want.response_transport);
    assert.deepEqual(qClient, want.query_client_ip);
    assert.deepEqual(rClient, want.response_client_ip);
  });
}

Deno.test("message: garbage bytes are DnstapDecodeError", () => {
  const cases: [string, Uint8Array][] = [
    ["invalid varint", new Uint8Array(12).fill(0xff)],
    ["text", new TextEncoder().encode("25-Nov-2026 20:43:16.780 client @0x7fd4 query")],
    ["gzip magic", new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])],
    ["a length beyond the end", new Uint8Array([0x72, 0x7f, 1, 2])],
    ["wire type 7", new Uint8Array([0x0f, 0, 0])],
    ["a single byte", new Uint8Array([0x08])],
  ];
  for (const [what, bytes] of cases) {
    const r = decodeOrError(bytes, what);
    assert.ok(r instanceof DnstapDecodeError, `${what}: decoded as ${JSON.stringify(r)}`);
  }
});

Deno.test("message: empty input and frames without a message are DnstapDecodeError", () => {
  const empty = decodeOrError(new Uint8Array(0), "empty");
  assert.ok(empty instanceof DnstapDecodeError);
  const noMessage = decodeOrError(encodeDnstap(null, { identity: new Uint8Array([1, 2]) }), "x");
  assert.ok(noMessage instanceof DnstapDecodeError);
  assert.match(noMessage.message, /message/);
});

Deno.test("message: a Message without its required type is DnstapDecodeError", () => {
  // Dnstap{message{socket_protocol: UDP}, type: MESSAGE}, written by hand: protobufjs'
  // encoder would write the required field anyway.
  const untyped = new Uint8Array([0x72, 2, 0x18, 1, 0x78, 1]);
  const r = decodeOrError(untyped, "message without type");
  assert.ok(
    r instanceof DnstapDecodeError,
    `decoded as message type ${(r as DnstapRecord).type} (a protobufjs default?)`,
  );
});

Deno.test(
  "message: every strict prefix of real frames is DnstapDecodeError",
  { ignore: NO_XZ },
  async () => {
    const frames = splitFrames(await fixtureBytes("dnstap-1.fstrm")).filter((f) => !f.control);
    // A query, a response and the first data frame.
    const picks = [frames[0], frames.find((f) => rawMessage(f.payload).type === 6)!, frames[1]];
    for (const f of picks) {
      assert.ok(!(decodeOrError(f.payload, "whole") instanceof DnstapDecodeError));
      const m = DnstapType.decode(f.payload) as unknown as { message: unknown };
      // named writes Dnstap.type (field 15, varint: 0x78 0x01) last: the prefix without it
      // lacks a required field.
      assert.deepEqual([...f.payload.subarray(-2)], [0x78, 1]);
      assert.ok(m.message);
      for (let n = 0; n < f.payload.length; n++) {
        const r = decodeOrError(f.payload.subarray(0, n), `prefix ${n}`);
        assert.ok(r instanceof DnstapDecodeError, `prefix of ${n} bytes decoded`);
      }
    }
  },
);

Deno.test("message: random and mutated bytes never throw anything but DnstapDecodeError", {
  ignore: NO_XZ,
}, async () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 8;
  };
  for (let i = 0; i < 3000; i++) {
    const bytes = new Uint8Array(rand() % 200).map(() => rand() & 0xff);
    decodeOrError(bytes, `random #${i}`);
  }
  const frames = splitFrames(await fixtureBytes("dnstap-2.fstrm")).filter((f) => !f.control);
  for (let i = 0; i < 3000; i++) {
    const bytes = frames[rand() % frames.length].payload.slice();
    for (let k = 0; k < 1 + (rand() % 4); k++) bytes[rand() % bytes.length] = rand() & 0xff;
    const r = decodeOrError(bytes, `mutated #${i}`);
    if (!(r instanceof DnstapDecodeError)) {
      // Whatever decoded is a record of plain values.
      assert.equal(typeof r.type, "number");
      for (const t of [r.queryTimeUs, r.responseTimeUs]) {
        assert.ok(t === null || Number.isFinite(t), `mutated #${i}: time ${t}`);
      }
    }
  }
});

/** The record with its byte fields as plain Uint8Arrays (protobufjs gives node Buffers). */
function plain(r: DnstapRecord): DnstapRecord {
  const u = (b: Uint8Array | null) => b === null ? null : new Uint8Array(b);
  return {
    ...r,
    queryAddress: u(r.queryAddress),
    responseAddress: u(r.responseAddress),
    queryMessage: u(r.queryMessage),
    responseMessage: u(r.responseMessage),
  };
}

Deno.test("message: a synthetic frame decodes every field", () => {
  const rec = decodeDnstap(encodeDnstap({
    type: 6,
    socketFamily: 2,
    socketProtocol: 3,
    queryAddress: new Uint8Array(16).fill(0).map((_, i) => (i === 15 ? 1 : 0)),
    queryPort: 40000,
    responseAddress: new Uint8Array([192, 0, 2, 53]),
    responsePort: 853,
    queryTimeSec: 1_795_639_400,
    queryTimeNsec: 123_456_789,
    responseTimeSec: 1_795_639_401,
    responseTimeNsec: 999,
    responseMessage: new Uint8Array([1, 2, 3]),
  }));
  assert.deepEqual(plain(rec), {
    type: 6,
    transport: "dot",
    queryAddress: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    queryPort: 40000,
    responseAddress: new Uint8Array([192, 0, 2, 53]),
    responsePort: 853,
    queryTimeUs: 1_795_639_400_123_456,
    responseTimeUs: 1_795_639_401_000_000,
    queryMessage: null,
    responseMessage: new Uint8Array([1, 2, 3]),
  });
});

Deno.test("message: absent optional fields are null, not protobufjs defaults", () => {
  // A RESOLVER_QUERY with nothing but its type: no socket protocol, ports, times, messages.
  const bare = decodeDnstap(encodeDnstap({ type: 3 }));
  assert.deepEqual(plain(bare), {
    type: 3,
    transport: null,
    queryAddress: null,
    queryPort: null,
    responseAddress: null,
    responsePort: null,
    queryTimeUs: null,
    responseTimeUs: null,
    queryMessage: null,
    responseMessage: null,
  });
});
