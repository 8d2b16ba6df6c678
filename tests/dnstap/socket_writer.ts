/**
 * Test support: a dnstap writer on a unix socket, as named is one (READY, ACCEPT, START, data
 * frames, STOP, FINISH), and client frames as BIND 9.18 writes them.
 *
 * Not a test file itself (no `_test` suffix).
 */
import assert from "node:assert/strict";
import {
  Control,
  DNSTAP_CONTENT_TYPE,
  encodeControl,
  encodeData,
  FrameDecoder,
} from "../../lib/dnstap/fstrm.ts";
import { dnsWire, encodeDnstap } from "./fixture_frames.ts";

/** A writer's connection to `sock` after READY, ACCEPT and START. */
export async function openWriter(sock: string) {
  const conn = await Deno.connect({ transport: "unix", path: sock });
  const buf = new Uint8Array(512);
  try {
    await conn.write(encodeControl(Control.READY, [DNSTAP_CONTENT_TYPE]));
    const dec = new FrameDecoder();
    for (let f = null; !f;) {
      const n = await conn.read(buf);
      assert.ok(n !== null, "ACCEPT received");
      dec.push(buf.slice(0, n));
      f = dec.next();
      if (f) assert.equal(f.kind === "control" && f.type, Control.ACCEPT);
    }
    await conn.write(encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]));
  } catch (error) {
    conn.close();
    throw error;
  }
  return {
    /** Send data frames. */
    async send(frames: Uint8Array[]) {
      for (const f of frames) await conn.write(encodeData(f));
    },
    /** STOP, wait for FINISH, close. */
    async stop() {
      try {
        await conn.write(encodeControl(Control.STOP));
        const n = await conn.read(buf);
        assert.ok(n !== null && n >= 12, "FINISH received");
      } finally {
        conn.close();
      }
    },
    close: () => conn.close(),
  };
}

/**
 * A CLIENT_QUERY (5) or CLIENT_RESPONSE (6) frame of 127.0.0.1#`port` asking `name` A at
 * `atMs`; like BIND 9.18's, a response carries its own time only.
 */
export function clientFrame(
  type: 5 | 6,
  port: number,
  id: number,
  name: string,
  atMs: number,
): Uint8Array {
  const sec = Math.floor(atMs / 1000), nsec = (atMs % 1000) * 1_000_000;
  const lo = new Uint8Array([127, 0, 0, 1]);
  const wire = dnsWire({
    type: type === 5 ? "query" : "response",
    id,
    flags: type === 5 ? 0x0100 : 0x8180,
    questions: [{ name, type: "A" }],
  });
  const common = {
    type,
    socketFamily: 1,
    socketProtocol: 1,
    queryAddress: lo,
    queryPort: port,
    responseAddress: lo,
    responsePort: 53,
  };
  return encodeDnstap(
    type === 5
      ? { ...common, queryTimeSec: sec, queryTimeNsec: nsec, queryMessage: wire }
      : { ...common, responseTimeSec: sec, responseTimeNsec: nsec, responseMessage: wire },
  );
}
