/**
 * isDnstapFile and dnstapFingerprint on files: the real fixtures (plain and gzip), BIND text
 * logs, empty files, a START frame alone, a START frame of another content type.
 */
import assert from "node:assert/strict";
import { Control, DNSTAP_CONTENT_TYPE, encodeControl, FrameError } from "../../lib/dnstap/fstrm.ts";
import { dnstapFingerprint, isDnstapFile } from "../../lib/dnstap/file.ts";
import { fixtureBytes, FIXTURES, NO_XZ, splitFrames } from "./fixture_frames.ts";

const dir = await Deno.makeTempDir({ prefix: "dnstap-file-test-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // already gone
  }
});

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, bytes);
  return path;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The fingerprint as documented: hex of the first 16 bytes of the SHA-256 up to the end of
 * the first data frame. */
async function documentedFingerprint(bytes: Uint8Array): Promise<string> {
  const first = splitFrames(bytes).find((f) => !f.control)!;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice(0, first.end)));
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

const fixture1 = NO_XZ ? new Uint8Array(0) : await fixtureBytes(FIXTURES[0]);
const fixture2 = NO_XZ ? new Uint8Array(0) : await fixtureBytes(FIXTURES[1]);
const plain1 = await write("dnstap-1.fstrm", fixture1);
const plain2 = await write("dnstap-2.fstrm", fixture2);
const gz1 = await write("dnstap-1.fstrm.gz", await gzip(fixture1));
const logLine = await write(
  "queries.log",
  new TextEncoder().encode(
    "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): " +
      "query: youtube.com IN A +E(0)K (127.0.0.1)\n",
  ),
);
const empty = await write("empty.fstrm", new Uint8Array(0));
const startOnly = await write(
  "start-only.fstrm",
  encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]),
);
const otherType = await write(
  "other.fstrm",
  new Uint8Array([
    ...encodeControl(Control.START, ["protobuf:other.Type"]),
    0,
    0,
    0,
    3,
    1,
    2,
    3,
  ]),
);

Deno.test("file: isDnstapFile", { ignore: NO_XZ }, async () => {
  assert.equal(await isDnstapFile(plain1), true, "plain fixture");
  assert.equal(await isDnstapFile(plain2), true, "plain fixture 2");
  assert.equal(await isDnstapFile(gz1), true, "gzip of the fixture");
  assert.equal(await isDnstapFile(logLine), false, "BIND log line");
  assert.equal(await isDnstapFile(empty), false, "empty file");
  assert.equal(await isDnstapFile(`${dir}/does-not-exist`), false, "missing file");
  assert.equal(await isDnstapFile(startOnly), true, "a START frame alone");
  const gzLog = await write("queries.log.gz", await gzip(await Deno.readFile(logLine)));
  assert.equal(await isDnstapFile(gzLog), false, "gzip of a BIND log");
});

Deno.test("file: dnstapFingerprint is the same for plain and gzip, distinct per file", {
  ignore: NO_XZ,
}, async () => {
  const a = await dnstapFingerprint(plain1);
  const agz = await dnstapFingerprint(gz1);
  const b = await dnstapFingerprint(plain2);
  assert.match(a ?? "", /^[0-9a-f]{32}$/);
  assert.equal(agz, a);
  assert.match(b ?? "", /^[0-9a-f]{32}$/);
  assert.notEqual(b, a);
  assert.equal(a, await documentedFingerprint(await fixtureBytes(FIXTURES[0])));
  assert.equal(b, await documentedFingerprint(await fixtureBytes(FIXTURES[1])));
});

Deno.test("file: dnstapFingerprint ignores everything after the first data frame", {
  ignore: NO_XZ,
}, async () => {
  const bytes = await fixtureBytes(FIXTURES[0]);
  const firstEnd = splitFrames(bytes).find((f) => !f.control)!.end;
  const head = await write("head.fstrm", bytes.slice(0, firstEnd));
  const changed = bytes.slice(0, firstEnd + 500);
  changed[firstEnd + 100] ^= 0xff;
  const other = await write("changed.fstrm", changed);
  const want = await dnstapFingerprint(plain1);
  assert.equal(await dnstapFingerprint(head), want);
  assert.equal(await dnstapFingerprint(other), want);
  // One byte short of the first data frame: not identifiable yet.
  const short = await write("short.fstrm", bytes.slice(0, firstEnd - 1));
  assert.equal(await dnstapFingerprint(short), null);
});

Deno.test("file: dnstapFingerprint of a START frame alone is null", async () => {
  assert.equal(await dnstapFingerprint(startOnly), null);
  assert.equal(await dnstapFingerprint(empty), null);
});

Deno.test("file: dnstapFingerprint throws FrameError for another content type", async () => {
  await assert.rejects(() => dnstapFingerprint(otherType), (e: unknown) => {
    assert.ok(e instanceof FrameError, `FrameError expected, got ${e}`);
    assert.match(e.message, /protobuf:other\.Type/);
    return true;
  });
});
