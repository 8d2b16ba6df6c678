/**
 * Frame Streams: FrameDecoder over streams built with encodeControl/encodeData (whole and
 * byte by byte), its limits and errors, and looksLikeFrameStream.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  Control,
  DNSTAP_CONTENT_TYPE,
  encodeControl,
  encodeData,
  type Frame,
  FrameDecoder,
  FrameError,
  looksLikeFrameStream,
  MAX_CONTROL_FRAME,
  MAX_DATA_FRAME,
} from "../../lib/dnstap/fstrm.ts";
import { fixtureBytes, NO_XZ, splitFrames } from "./fixture_frames.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

function u32(v: number): number[] {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** Frames with their payloads copied (a decoder's payload is a view of its buffer). */
function drain(d: FrameDecoder): Frame[] {
  const out: Frame[] = [];
  for (let f = d.next(); f; f = d.next()) {
    out.push(f.kind === "data" ? { ...f, payload: f.payload.slice() } : f);
  }
  return out;
}

const PAYLOADS = [
  new Uint8Array([1]),
  new Uint8Array(300).map((_, i) => (i * 7) & 0xff),
  new TextEncoder().encode("hello dnstap"),
  new Uint8Array(70_000).fill(0xab),
];

const STREAM = concat([
  encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]),
  ...PAYLOADS.map(encodeData),
  encodeControl(Control.STOP),
]);

/** The frames STREAM holds, worked out by hand from the encoding rules. */
function expectedFrames(base: number): Frame[] {
  const startLen = 8 + 4 + 8 + DNSTAP_CONTENT_TYPE.length;
  const frames: Frame[] = [{
    kind: "control",
    type: Control.START,
    contentTypes: [DNSTAP_CONTENT_TYPE],
    start: base,
    end: base + startLen,
  }];
  let p = base + startLen;
  for (const payload of PAYLOADS) {
    frames.push({ kind: "data", payload, start: p, end: p + 4 + payload.length });
    p += 4 + payload.length;
  }
  frames.push({ kind: "control", type: Control.STOP, contentTypes: [], start: p, end: p + 12 });
  return frames;
}

Deno.test("fstrm: encodeControl/encodeData bytes follow the Frame Streams layout", () => {
  assert.deepEqual(
    [...encodeControl(Control.START, ["ab"])],
    [...u32(0), ...u32(4 + 8 + 2), ...u32(2), ...u32(1), ...u32(2), 0x61, 0x62],
  );
  assert.deepEqual([...encodeControl(Control.STOP)], [...u32(0), ...u32(4), ...u32(3)]);
  assert.deepEqual([...encodeData(new Uint8Array([9, 8, 7]))], [...u32(3), 9, 8, 7]);
  assert.equal(STREAM.length, expectedFrames(0).at(-1)!.end);
});

Deno.test("fstrm: one chunk and 1-byte chunks give the same frames and offsets", () => {
  const whole = new FrameDecoder(1000);
  whole.push(STREAM);
  const a = drain(whole);
  assert.deepEqual(a, expectedFrames(1000));
  assert.equal(whole.buffered, 0);
  assert.equal(whole.offset, 1000 + STREAM.length);

  const bytewise = new FrameDecoder(1000);
  const b: Frame[] = [];
  for (let i = 0; i < STREAM.length; i++) {
    bytewise.push(STREAM.subarray(i, i + 1));
    b.push(...drain(bytewise));
    // Nothing is returned before its last byte arrived.
    const last = b.at(-1);
    if (last) assert.ok(last.end <= 1000 + i + 1);
  }
  assert.deepEqual(b, a);
  assert.equal(bytewise.buffered, 0);
  assert.equal(bytewise.offset, 1000 + STREAM.length);
});

Deno.test("fstrm: irregular chunk sizes give the same frames", () => {
  const d = new FrameDecoder();
  const got: Frame[] = [];
  let p = 0, step = 1;
  while (p < STREAM.length) {
    d.push(STREAM.slice(p, p + step));
    got.push(...drain(d));
    p += step;
    step = (step * 3 + 1) % 997 + 1;
  }
  assert.deepEqual(got, expectedFrames(0));
});

Deno.test("fstrm: content types of START and READY; ACCEPT and FINISH without", () => {
  const d = new FrameDecoder();
  d.push(concat([
    encodeControl(Control.READY, [DNSTAP_CONTENT_TYPE, "protobuf:other.Type"]),
    encodeControl(Control.ACCEPT, [DNSTAP_CONTENT_TYPE]),
    encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]),
    encodeControl(Control.FINISH),
  ]));
  const frames = drain(d);
  assert.deepEqual(
    frames.map((f) => f.kind === "control" ? [f.type, f.contentTypes] : null),
    [
      [Control.READY, [DNSTAP_CONTENT_TYPE, "protobuf:other.Type"]],
      [Control.ACCEPT, [DNSTAP_CONTENT_TYPE]],
      [Control.START, [DNSTAP_CONTENT_TYPE]],
      [Control.FINISH, []],
    ],
  );
  assert.equal(DNSTAP_CONTENT_TYPE, "protobuf:dnstap.Dnstap");
});

Deno.test("fstrm: a control field of another type is skipped, not taken as a content type", () => {
  const body = [...u32(Control.START), ...u32(7), ...u32(3), 1, 2, 3, ...u32(1), ...u32(1), 0x78];
  const d = new FrameDecoder();
  d.push(new Uint8Array([...u32(0), ...u32(body.length), ...body]));
  const f = d.next();
  assert.ok(f && f.kind === "control");
  assert.deepEqual(f.contentTypes, ["x"]);
});

Deno.test("fstrm: an oversized data frame is a FrameError naming its size", () => {
  const size = MAX_DATA_FRAME + 1;
  const d = new FrameDecoder();
  d.push(concat([encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]), new Uint8Array(u32(size))]));
  assert.equal(d.next()?.kind, "control");
  assert.throws(() => d.next(), (e: unknown) => {
    assert.ok(e instanceof FrameError, `FrameError expected, got ${e}`);
    assert.match(e.message, new RegExp(`\\b${size}\\b`));
    return true;
  });

  const huge = new FrameDecoder();
  huge.push(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
  assert.throws(() => huge.next(), (e: unknown) => {
    assert.ok(e instanceof FrameError);
    assert.match(e.message, /\b4294967295\b/);
    return true;
  });
});

Deno.test("fstrm: a data frame of exactly MAX_DATA_FRAME bytes is accepted", () => {
  const d = new FrameDecoder();
  d.push(encodeData(new Uint8Array(MAX_DATA_FRAME).fill(1)));
  const f = d.next();
  assert.ok(f && f.kind === "data");
  assert.equal(f.payload.length, MAX_DATA_FRAME);
  assert.equal(f.end, 4 + MAX_DATA_FRAME);
});

Deno.test("fstrm: malformed control frames are FrameErrors", () => {
  const cases: [string, number[]][] = [
    // type + half of a field header (6 of 8 bytes)
    ["truncated field header", [
      ...u32(0),
      ...u32(10),
      ...u32(Control.START),
      ...u32(1),
      0,
      0,
    ]],
    // field says 30 bytes, 3 present
    ["field longer than the frame", [
      ...u32(0),
      ...u32(15),
      ...u32(Control.START),
      ...u32(1),
      ...u32(30),
      0x61,
      0x62,
      0x63,
    ]],
    ["control length below 4", [...u32(0), ...u32(3), 0, 0, 2]],
    ["control length above the limit", [...u32(0), ...u32(MAX_CONTROL_FRAME + 1)]],
  ];
  for (const [what, bytes] of cases) {
    const d = new FrameDecoder();
    d.push(new Uint8Array(bytes));
    assert.throws(() => d.next(), FrameError, what);
  }
});

Deno.test("fstrm: a truncated last data frame waits: next() null, buffered > 0, then completes", () => {
  const frame = encodeData(new Uint8Array(50).fill(5));
  const stream = concat([encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]), frame]);
  const cut = stream.length - 10;
  const d = new FrameDecoder();
  d.push(stream.subarray(0, cut));
  assert.equal(d.next()?.kind, "control");
  const startEnd = stream.length - frame.length;
  assert.equal(d.next(), null);
  assert.equal(d.next(), null, "asking again changes nothing");
  assert.equal(d.buffered, cut - startEnd);
  assert.ok(d.buffered > 0);
  assert.equal(d.offset, startEnd, "offset stays at the start of the partial frame");
  d.push(stream.subarray(cut));
  const f = d.next();
  assert.ok(f && f.kind === "data");
  assert.deepEqual([...f.payload], [...new Uint8Array(50).fill(5)]);
  assert.deepEqual([f.start, f.end], [startEnd, stream.length]);
  assert.equal(d.buffered, 0);

  // Only part of the length word, and only part of a control header.
  const short = new FrameDecoder();
  short.push(new Uint8Array([0, 0]));
  assert.equal(short.next(), null);
  assert.equal(short.buffered, 2);
  const ctl = new FrameDecoder();
  ctl.push(encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]).subarray(0, 14));
  assert.equal(ctl.next(), null);
  assert.equal(ctl.buffered, 14);
});

Deno.test(
  "fstrm: the real fixture splits into START, data frames, STOP",
  { ignore: NO_XZ },
  async () => {
    const bytes = await fixtureBytes("dnstap-2.fstrm");
    const mine = splitFrames(bytes);
    const d = new FrameDecoder();
    // Feed in 4093-byte chunks so frames straddle chunk borders.
    let data = 0, i = 0;
    const controls: number[] = [];
    for (let p = 0; p < bytes.length; p += 4093) {
      d.push(bytes.subarray(p, p + 4093));
      for (let f = d.next(); f; f = d.next()) {
        const want = mine[i++];
        assert.deepEqual([f.start, f.end], [want.start, want.end]);
        if (f.kind === "control") controls.push(f.type);
        else {
          data++;
          assert.equal(f.payload.length, want.payload.length);
        }
      }
    }
    assert.equal(i, mine.length);
    assert.deepEqual(controls, [Control.START, Control.STOP]);
    assert.equal(data, 20_516);
    assert.equal(d.buffered, 0);
  },
);

Deno.test("fstrm: looksLikeFrameStream", { ignore: NO_XZ }, async () => {
  const fixture = await fixtureBytes("dnstap-1.fstrm");
  assert.equal(looksLikeFrameStream(fixture.subarray(0, 12)), true);
  assert.equal(looksLikeFrameStream(fixture.subarray(0, 4096)), true);
  assert.equal(
    looksLikeFrameStream(encodeControl(Control.READY, [DNSTAP_CONTENT_TYPE])),
    true,
    "a socket stream starts with READY",
  );
  const line = new TextEncoder().encode(
    "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): " +
      "query: youtube.com IN A +E(0)K (127.0.0.1)\n",
  );
  assert.equal(looksLikeFrameStream(line), false);
  assert.equal(looksLikeFrameStream(gzipSync(fixture.subarray(0, 65536))), false);
  assert.equal(looksLikeFrameStream(fixture.subarray(0, 11)), false, "too short");
  assert.equal(looksLikeFrameStream(new Uint8Array(12)), false, "zeros");
  assert.equal(looksLikeFrameStream(encodeControl(Control.STOP)), false, "STOP first");
  assert.equal(looksLikeFrameStream(encodeData(new Uint8Array(20))), false, "data first");
});

Deno.test("fstrm: random bytes give frames or FrameError, nothing else", () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 8;
  };
  for (let i = 0; i < 2000; i++) {
    // Mostly small lengths so that frames do complete.
    const bytes = new Uint8Array(rand() % 64).map(() => (rand() % 4 === 0 ? rand() & 0xff : 0));
    const d = new FrameDecoder(5);
    d.push(bytes);
    let last = 5;
    try {
      for (let f = d.next(); f; f = d.next()) {
        assert.equal(f.start, last, "frames are contiguous");
        assert.ok(f.end > f.start);
        last = f.end;
      }
      assert.equal(d.buffered, 5 + bytes.length - last);
    } catch (error) {
      assert.ok(error instanceof FrameError, `#${i}: ${error}`);
    }
  }
});
