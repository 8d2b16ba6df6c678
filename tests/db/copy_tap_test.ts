/**
 * The CopyTap splits a connection's bytes into CopyData payloads (to the rollup) and every
 * other message (to postgres.js), however the socket chunks them; BinaryCopyReader reassembles
 * tuples from payload parts given as ranges of larger buffers.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CopyTap } from "../../lib/db/copy_tap.ts";
import { BinaryCopyReader } from "../../lib/db/binary_copy_read.ts";

function message(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, payload.length + 4);
  out.set(payload, 5);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** A COPY TO STDOUT exchange: driver messages around CopyData messages of `payloads`. */
function exchange(payloads: Uint8Array[]) {
  const text = (s: string) => new TextEncoder().encode(s);
  const before = [
    message("H", new Uint8Array([1, 0, 3, 0, 1, 0, 1, 0, 1])),
    message("N", text("notice\0")),
  ];
  const after = [
    message("c", new Uint8Array(0)),
    message("C", text("COPY 3\0")),
    message("Z", text("I")),
  ];
  const wire = concat([...before, ...payloads.map((p) => message("d", p)), ...after]);
  return { wire, driver: concat([...before, ...after]), data: concat(payloads) };
}

function run(tap: CopyTap, wire: Uint8Array, cuts: number[]) {
  const driver: Uint8Array[] = [];
  const data: Uint8Array[] = [];
  tap.sink = (b, from, to) => data.push(b.slice(from, to));
  let at = 0;
  for (const cut of [...cuts, wire.length]) {
    const out = tap.filter(Buffer.from(wire.subarray(at, cut)));
    assert.ok(Buffer.isBuffer(out), "the driver gets Buffers");
    driver.push(out);
    at = cut;
  }
  return { driver: concat(driver), data: concat(data) };
}

Deno.test("CopyTap: CopyData to the sink, every other message to the driver, for every split", () => {
  const payloads = [
    new Uint8Array([0, 1, 0, 0, 0, 2, 7, 8]),
    new Uint8Array(300).map((_, i) => i & 0xff),
    new Uint8Array([0xff, 0xff]),
  ];
  const x = exchange(payloads);
  for (let cut = 0; cut <= x.wire.length; cut++) {
    const got = run(new CopyTap(), x.wire, [cut]);
    assert.deepEqual(got.driver, x.driver, `split at ${cut}`);
    assert.deepEqual(got.data, x.data, `split at ${cut}`);
  }
  // Every byte its own chunk: headers split in all five places.
  const ones = Array.from({ length: x.wire.length - 1 }, (_, i) => i + 1);
  const got = run(new CopyTap(), x.wire, ones);
  assert.deepEqual(got.driver, x.driver);
  assert.deepEqual(got.data, x.data);
});

Deno.test("CopyTap: without a sink every byte passes to the driver", () => {
  const x = exchange([new Uint8Array([1, 2, 3])]);
  const tap = new CopyTap();
  const out = tap.filter(Buffer.from(x.wire));
  assert.deepEqual(new Uint8Array(out), x.wire);
});

Deno.test("BinaryCopyReader: tuples from payload ranges split anywhere, trailer seen", () => {
  // Header, three tuples of (int4, text), trailer.
  const header = new Uint8Array([
    ...new TextEncoder().encode("PGCOPY\n"),
    0xff,
    0x0d,
    0x0a,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const tuple = (n: number, s: string) => {
    const t = new TextEncoder().encode(s);
    const b = new Uint8Array(2 + 8 + 4 + t.length);
    const v = new DataView(b.buffer);
    v.setInt16(0, 2);
    v.setInt32(2, 4);
    v.setInt32(6, n);
    v.setInt32(10, t.length);
    b.set(t, 14);
    return b;
  };
  const stream = concat([
    header,
    tuple(1, "a.example"),
    tuple(2, ""),
    tuple(3, "ü.example"),
    new Uint8Array([0xff, 0xff]),
  ]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const seen: string[] = [];
    // onTuple gets the offset of the tuple's first field length.
    const r = new BinaryCopyReader((b, at) => {
      const v = new DataView(b.buffer, b.byteOffset);
      const len = v.getInt32(at + 8);
      seen.push(
        `${v.getInt32(at + 4)}:${new TextDecoder().decode(b.subarray(at + 12, at + 12 + len))}`,
      );
    });
    // The bytes inside larger buffers, as the tap hands them over.
    const padded = concat([new Uint8Array(3), stream, new Uint8Array(4)]);
    r.push(padded, 3, 3 + cut);
    r.push(padded, 3 + cut, 3 + stream.length);
    assert.deepEqual(seen, ["1:a.example", "2:", "3:ü.example"], `split at ${cut}`);
    assert.ok(r.done);
  }
});
