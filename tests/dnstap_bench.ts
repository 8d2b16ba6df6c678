/**
 * dnstap benchmark: the decode rate of the dnstap path on one core, and `dns-analytics ingest`
 * of a dnstap capture into a fresh PostgreSQL database, end to end.
 *
 * Input: a Frame Streams file of N data frames (START `protobuf:dnstap.Dnstap`, frames, STOP)
 * built from the real BIND 9.18 captures (tests/fixtures/bind-9.18/dnstap-{1,2}.fstrm.xz, one
 * "cycle" = every data frame of both, in file order), repeated: cycle c has its times moved by
 * c × the cycle's span, its client addresses XOR-ed with c (bytes 1–2 of IPv4, 12–13 of IPv6)
 * and its DNS ids XOR-ed with a per-cycle constant, both in the query and in the response, so
 * that every cycle joins exactly as the real capture does and no key repeats across cycles.
 * Each frame is re-encoded with protobufjs from lib/dnstap/dnstap.proto. An independent count
 * (dns-packet reads the fixture's DNS ids and rcodes; the contract's join is simulated on the
 * generated keys) gives the rows to expect: one per response, plus one per query never
 * answered (rcode NULL), and their count per rcode.
 *
 * Part 1, in-process on one core, over the capture held in memory and fed to FrameDecoder in
 * 64 KiB pieces (SourceFile's block size): (a) FrameDecoder only; (b) + decodeDnstap; (c) +
 * parseDnsMessage of the message the assembler reads; (d) the row path: DnstapAssembler.add
 * into binary batches of 50k frames, each sealed and its COPY data taken, with dnstap_pending
 * emulated in memory so that the rows can be counted; and the library-only path (protobufjs
 * decode + dns-packet decode of the full DNS message) with its ratio to (c), and the two wire
 * parsers alone on the fixture's messages. Each is warmed once, then run --runs times,
 * interleaved; the median is printed (target: ≥ 200,000 frames/s decoded on one core).
 *
 * Part 2, stored: `deno run -A main.ts ingest <capture>` (start-up and migrations included) into
 * a fresh database per run (env DATABASE_URL, DNSA_NODE=bench, DNSA_LOG_TZ=UTC only: the
 * configuration rejects unknown DNSA_ keys): seconds, frames/s, rows/s, peak RSS (VmHWM of
 * /proc/<pid>/status polled over the process tree), CPU of the program and of PostgreSQL;
 * checks: the JSON summary, count(*) = responses + unanswered queries and the count per
 * response_rcode equal to the generator's, dnstap_pending empty.
 *
 * Timings are printed, never asserted: the exit status is non-zero only when a run failed or
 * a count is wrong.
 *
 * ```sh
 * deno task bench:dnstap                                  # 2M frames, 3 runs of each
 * deno task bench:dnstap --frames 500000 --runs 5 --stored-runs 1 --keep
 * DNSA_TEST_DATABASE_URL=postgres://u:p@host/postgres deno task bench:dnstap --stored-runs 0
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import { parseArgs } from "node:util";
import dnsPacket from "dns-packet";
import protobuf from "protobufjs";
import {
  Control,
  DNSTAP_CONTENT_TYPE,
  encodeControl,
  encodeData,
  FrameDecoder,
} from "../lib/dnstap/fstrm.ts";
import { decodeDnstap, DnstapDecodeError } from "../lib/dnstap/message.ts";
import { DNSTAP_ANSWER_WINDOW_MS, DnstapAssembler } from "../lib/dnstap/rows.ts";
import { parseDnsMessage } from "../lib/dnstap/wire.ts";
import { Batch } from "../lib/ingest/batch.ts";
import { createZoneClock } from "../lib/time.ts";
import { type ProcessUsage, watchProcess } from "./bench_process.ts";

const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const LOCK = new URL("../deno.lock", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const PROTO = new URL("../lib/dnstap/dnstap.proto", import.meta.url);
const FIXTURE_DIR = new URL("fixtures/bind-9.18/", import.meta.url);
const FIXTURES = ["dnstap-1.fstrm.xz", "dnstap-2.fstrm.xz"];
const DEFAULT_ADMIN_URL = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const GNU_TIME = "/usr/bin/time";
/** SourceFile's block size (lib/tail/source_file.ts). */
const CHUNK = 1 << 16;
const TARGET = 200_000;
const CLIENT_QUERY = 5;
const CLIENT_RESPONSE = 6;

const HELP = `Usage: deno task bench:dnstap [--frames N] [--runs N] [--stored-runs N]
                                 [--batch-frames N] [--wire-messages N] [--keep]

  --frames N         data frames in the capture (default 2000000)
  --runs N           timed runs of each in-process stage; the median is reported (default 3)
  --stored-runs N    end-to-end ingests, each into a fresh database (default 3; 0 = skip)
  --batch-frames N   frames per batch of stage (d) (default 50000, as ingest); also passed
                     as "ingest --batch-rows N" when given
  --wire-messages N  messages per run of the wire-parser comparison (default 500000)
  --keep             keep the temp directory (the capture) and print its path

Environment: DNSA_TEST_DATABASE_URL (admin URL, default ${DEFAULT_ADMIN_URL}).`;

/** Outcome of one timed subprocess. */
interface TimedRun {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
  usage: ProcessUsage;
  /** GNU time's max RSS (KiB) and user/sys seconds, when /usr/bin/time wrapped the run. */
  gnu: { maxRssKb: number; user: number; sys: number } | null;
}

const textDecoder = new TextDecoder();

/** Run `psql` against `url` with the usual batch-mode switches; returns its stdout. */
async function psql(url: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("psql", {
    args: ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`psql ${args.join(" ")} failed: ${textDecoder.decode(out.stderr).trim()}`);
  }
  return textDecoder.decode(out.stdout).trim();
}

async function hasGnuTime(): Promise<boolean> {
  try {
    return (await Deno.stat(GNU_TIME)).isFile;
  } catch {
    return false;
  }
}

/**
 * Run `cmd args` from spawn to exit, under GNU time when it exists, while polling the process
 * tree's /proc status (VmHWM, CPU) and PostgreSQL's processes.
 */
async function timedRun(
  cmd: string,
  args: string[],
  options: { env: Record<string, string>; dbName: string; dir: string; gnuTime: boolean },
): Promise<TimedRun> {
  const timeFile = `${options.dir}/time.${Math.random().toString(36).slice(2)}`;
  const argv = options.gnuTime
    ? [GNU_TIME, "-f", "%M %U %S", "-o", timeFile, cmd, ...args]
    : [cmd, ...args];
  const start = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: ROOT,
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const watch = watchProcess(child.pid, { dbName: options.dbName, intervalMs: 50 });
  const status = await child.status;
  const seconds = (performance.now() - start) / 1000;
  const usage = watch.stop();
  const out = await child.output();
  let gnu = null;
  if (options.gnuTime) {
    const last = (await Deno.readTextFile(timeFile)).trim().split("\n").at(-1) ?? "";
    const [rss, user, sys] = last.split(" ").map(Number);
    if (Number.isFinite(rss)) gnu = { maxRssKb: rss, user, sys };
    await Deno.remove(timeFile);
  }
  return {
    seconds,
    code: status.code,
    stdout: textDecoder.decode(out.stdout),
    stderr: textDecoder.decode(out.stderr),
    usage,
    gnu,
  };
}

/** The parent's environment without the program's keys (and libpq's), so nothing leaks in. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (
      !k.startsWith("DNSA_") && !k.startsWith("DB_") && !k.startsWith("PG") &&
      k !== "DATABASE_URL"
    ) env[k] = v;
  }
  return env;
}

function lastJsonLine(stdout: string): Record<string, unknown> | null {
  const last = stdout.trimEnd().split("\n").at(-1) ?? "";
  try {
    const value = JSON.parse(last);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const secs = (s: number) => `${s.toFixed(2)} s`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const isoSec = (sec: number) => new Date(sec * 1000).toISOString().replace("T", " ").slice(0, 19);

// ---------------------------------------------------------------------------------------------
// The capture

/** A dnstap message as protobufjs decodes and encodes it (64-bit times as numbers here). */
interface PbMessage {
  type: number;
  socketProtocol?: number;
  queryAddress?: Uint8Array;
  queryPort?: number;
  queryTimeSec?: number;
  queryMessage?: Uint8Array;
  responseTimeSec?: number;
  responseMessage?: Uint8Array;
  [field: string]: unknown;
}

interface PbDnstap {
  type: number;
  message?: PbMessage;
  [field: string]: unknown;
}

/** The fixture's decoded DNS header and rcode, read with dns-packet. */
interface PacketView {
  id: number;
  rcode: string;
  flags: number;
  questions: unknown[];
  answers: unknown[];
  additionals?: { type: string; extendedRcode?: number }[];
}

/** One data frame of the fixture, ready to be re-encoded for any cycle. */
interface Template {
  /** Own fields of the Dnstap message but `message`. */
  top: Record<string, unknown>;
  /** Own fields of its Message, 64-bit values as numbers. */
  msg: PbMessage;
  kind: "query" | "response" | "other";
  /** DNS id of the message the row is read from (query message of a query frame, …). */
  id: number;
  /** Rcode name of a response (header rcode with the OPT's extended bits). */
  rcode: string | null;
}

/** What the generator wrote and the rows that must come out of it. */
interface CaptureStats {
  frames: number;
  bytes: number;
  fixtureFrames: number;
  cycles: number;
  periodSec: number;
  firstSec: number;
  lastSec: number;
  queries: number;
  responses: number;
  other: number;
  /** Responses that found their query (same client address, port, transport, id). */
  joined: number;
  responseOnly: number;
  /** Queries that never got a response (superseded by the same key, or never answered). */
  unanswered: number;
  rows: number;
  /** Expected rows per response_rcode; `NULL` for unanswered queries. */
  byRcode: Record<string, number>;
  /** Byte offset of the end of the frame that ends the warm-up prefix. */
  warmEnd: number;
  warmFrames: number;
  seconds: number;
}

/** Header rcode names (dns-packet's) and the extended ones a response may carry. */
const RCODE_NAMES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
  16: "BADVERS",
  23: "BADCOOKIE",
};
const HEADER_RCODES = Object.fromEntries(
  Object.entries(RCODE_NAMES).filter(([n]) => Number(n) < 16).map(([n, s]) => [s, Number(n)]),
);

function packetOf(wire: Uint8Array): PacketView {
  return dnsPacket.decode(Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength));
}

/** The rcode name of a response read by dns-packet, extended bits included. */
function rcodeOfPacket(p: PacketView): string {
  const header = p.rcode.startsWith("RCODE_") ? Number(p.rcode.slice(6)) : HEADER_RCODES[p.rcode];
  if (header === undefined) throw new Error(`unknown rcode ${p.rcode}`);
  const ext = p.additionals?.find((a) => a.type === "OPT")?.extendedRcode ?? 0;
  const code = (ext << 4) | header;
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

/** Data-frame payloads of a Frame Streams file (a splitter of its own, not FrameDecoder). */
function dataPayloads(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let p = 0; p < bytes.length;) {
    const len = view.getUint32(p);
    if (len === 0) p += 8 + view.getUint32(p + 4);
    else {
      out.push(bytes.subarray(p + 4, p + 4 + len));
      p += 4 + len;
    }
  }
  return out;
}

async function xz(path: string): Promise<Uint8Array> {
  const out = await new Deno.Command("xz", { args: ["-dc", path], stdout: "piped" }).output();
  if (!out.success) throw new Error(`xz -dc ${path} failed`);
  return out.stdout;
}

type PbType = ReturnType<protobuf.Root["lookupType"]>;

async function dnstapType(): Promise<PbType> {
  return protobuf.parse(await Deno.readTextFile(PROTO)).root.resolveAll().lookupType(
    "dnstap.Dnstap",
  );
}

const toNum = (v: unknown) => typeof v === "number" ? v : Number(String(v)); // a Long

async function loadTemplates(T: PbType): Promise<Template[]> {
  const out: Template[] = [];
  for (const name of FIXTURES) {
    for (const payload of dataPayloads(await xz(new URL(name, FIXTURE_DIR).pathname))) {
      const d = T.decode(payload) as unknown as PbDnstap;
      const top: Record<string, unknown> = {};
      for (const k of Object.keys(d)) if (k !== "message") top[k] = d[k];
      const m = d.message!;
      const msg = { type: m.type } as PbMessage;
      for (const k of Object.keys(m)) msg[k] = m[k];
      if (Object.hasOwn(m, "queryTimeSec")) msg.queryTimeSec = toNum(m.queryTimeSec);
      if (Object.hasOwn(m, "responseTimeSec")) msg.responseTimeSec = toNum(m.responseTimeSec);
      const kind = m.type === CLIENT_QUERY
        ? "query"
        : m.type === CLIENT_RESPONSE
        ? "response"
        : "other";
      let id = -1, rcode: string | null = null;
      if (kind !== "other") {
        const wire = kind === "query" ? msg.queryMessage : msg.responseMessage;
        if (!wire || !msg.queryAddress) throw new Error(`fixture ${name}: a ${kind} without data`);
        const p = packetOf(wire);
        id = p.id;
        if (kind === "response") rcode = rcodeOfPacket(p);
      }
      out.push({ top, msg, kind, id, rcode });
    }
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Write the capture; simulate the contract's join on the generated keys meanwhile. */
async function writeCapture(
  path: string,
  T: PbType,
  templates: Template[],
  frames: number,
): Promise<CaptureStats> {
  const t0 = performance.now();
  let minSec = Infinity, maxSec = -Infinity;
  for (const t of templates) {
    for (const s of [t.msg.queryTimeSec, t.msg.responseTimeSec]) {
      if (s !== undefined && s > 0) {
        minSec = Math.min(minSec, s);
        maxSec = Math.max(maxSec, s);
      }
    }
  }
  const periodSec = Math.ceil((maxSec - minSec + 10) / 10) * 10;
  const cycles = Math.ceil(frames / templates.length);
  if (cycles > 65_536) throw new Error(`--frames: at most ${65_536 * templates.length}`);
  const stats: CaptureStats = {
    frames,
    bytes: 0,
    fixtureFrames: templates.length,
    cycles: frames / templates.length,
    periodSec,
    firstSec: Infinity,
    lastSec: -Infinity,
    queries: 0,
    responses: 0,
    other: 0,
    joined: 0,
    responseOnly: 0,
    unanswered: 0,
    rows: 0,
    byRcode: {},
    warmEnd: 0,
    warmFrames: Math.min(frames, 100_000),
    seconds: 0,
  };
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const buf = new Uint8Array(4 << 20);
  let used = 0;
  const put = async (b: Uint8Array) => {
    if (used + b.length > buf.length) {
      for (let p = 0; p < used;) p += await file.write(buf.subarray(p, used));
      used = 0;
    }
    buf.set(b, used);
    used += b.length;
    stats.bytes += b.length;
  };
  await put(encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]));
  const waiting = new Set<string>();
  for (let i = 0; i < frames; i++) {
    const c = Math.floor(i / templates.length);
    const t = templates[i % templates.length];
    const shift = c * periodSec;
    const idMask = (c * 40503) & 0xffff;
    const m: PbMessage = { ...t.msg };
    if (m.queryTimeSec !== undefined) m.queryTimeSec += shift;
    if (m.responseTimeSec !== undefined) m.responseTimeSec += shift;
    if (m.queryAddress) m.queryAddress = xorAddress(m.queryAddress, c);
    if (m.queryMessage) m.queryMessage = xorId(m.queryMessage, idMask);
    if (m.responseMessage) m.responseMessage = xorId(m.responseMessage, idMask);
    const sec = m.queryTimeSec ?? m.responseTimeSec;
    if (sec !== undefined) {
      stats.firstSec = Math.min(stats.firstSec, sec);
      stats.lastSec = Math.max(stats.lastSec, sec);
    }
    await put(encodeData(T.encode({ ...t.top, message: m }).finish()));
    if (i + 1 === stats.warmFrames) stats.warmEnd = stats.bytes;
    if (t.kind === "other") {
      stats.other++;
      continue;
    }
    // The contract's join, on what was written: client address, port, transport, DNS id.
    let key = "";
    for (const b of m.queryAddress!) key += HEX[b];
    key += `#${m.queryPort ?? ""}#${m.socketProtocol ?? ""}#${t.id ^ idMask}`;
    if (t.kind === "query") {
      stats.queries++;
      if (waiting.has(key)) stats.unanswered++; // the same key again: the earlier one is alone
      waiting.add(key);
    } else {
      stats.responses++;
      if (waiting.delete(key)) stats.joined++;
      else stats.responseOnly++;
      stats.byRcode[t.rcode!] = (stats.byRcode[t.rcode!] ?? 0) + 1;
    }
  }
  stats.unanswered += waiting.size;
  if (stats.unanswered > 0) stats.byRcode.NULL = stats.unanswered;
  stats.rows = stats.responses + stats.unanswered;
  await put(encodeControl(Control.STOP));
  for (let p = 0; p < used;) p += await file.write(buf.subarray(p, used));
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}

function xorAddress(a: Uint8Array, c: number): Uint8Array {
  const out = a.slice();
  const at = a.length === 4 ? 1 : a.length === 16 ? 12 : -1;
  if (at >= 0) {
    out[at] ^= c >> 8;
    out[at + 1] ^= c & 0xff;
  }
  return out;
}

function xorId(wire: Uint8Array, mask: number): Uint8Array {
  const out = wire.slice();
  if (out.length >= 2) {
    out[0] ^= mask >> 8;
    out[1] ^= mask & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Part 1: in-process stages

/** What one pass over the capture counted (checked against the generator), and its time. */
interface StageResult {
  frames: number;
  queries: number;
  responses: number;
  /** (c): messages parseDnsMessage refused; (d): rows, dnstap_pending emulated. */
  extra: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of this process (user + system, all threads: GC helpers included). */
  cpu: number;
  /** (d): bytes of binary COPY data the batches hold. */
  copyBytes?: number;
}

type Stage = (bytes: Uint8Array) => StageResult;

/** Wall clock and process CPU since construction. */
class Stopwatch {
  #t0 = performance.now();
  #c0 = process.cpuUsage();
  stop(): { seconds: number; cpu: number } {
    const c = process.cpuUsage(this.#c0);
    return { seconds: (performance.now() - this.#t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  }
}

/**
 * The data frames of `bytes` through FrameDecoder, fed in CHUNK pieces as SourceFile's blocks
 * are, one call at a time (a monomorphic method rather than a callback, so that each stage's
 * loop is compiled as ingest.ts's own loop is).
 */
class FrameSource {
  readonly #bytes: Uint8Array;
  readonly #dec = new FrameDecoder();
  #off = 0;
  /** Stream offset of the end of the last frame returned. */
  end = 0;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  /** The next data frame's payload, or null at the end. */
  next(): Uint8Array | null {
    for (;;) {
      const f = this.#dec.next();
      if (f !== null) {
        if (f.kind === "data") {
          this.end = f.end;
          return f.payload;
        }
        continue;
      }
      const bytes = this.#bytes;
      if (this.#off >= bytes.length) {
        if (this.#dec.buffered > 0) throw new Error(`${this.#dec.buffered} bytes left over`);
        return null;
      }
      this.#dec.push(bytes.subarray(this.#off, Math.min(this.#off + CHUNK, bytes.length)));
      this.#off += CHUNK;
    }
  }
}

const stageFrames: Stage = (bytes) => {
  const sw = new Stopwatch();
  const src = new FrameSource(bytes);
  let frames = 0, sum = 0;
  for (let p = src.next(); p !== null; p = src.next()) {
    frames++;
    sum += p[0];
  }
  return { frames, queries: 0, responses: 0, extra: sum & 1, ...sw.stop() };
};

const stageMessage: Stage = (bytes) => {
  const sw = new Stopwatch();
  const src = new FrameSource(bytes);
  let frames = 0, queries = 0, responses = 0;
  for (let p = src.next(); p !== null; p = src.next()) {
    frames++;
    const rec = decodeDnstap(p);
    if (rec.type === CLIENT_QUERY) queries++;
    else if (rec.type === CLIENT_RESPONSE) responses++;
  }
  return { frames, queries, responses, extra: 0, ...sw.stop() };
};

const stageWire: Stage = (bytes) => {
  const sw = new Stopwatch();
  const src = new FrameSource(bytes);
  let frames = 0, queries = 0, responses = 0, bad = 0;
  for (let p = src.next(); p !== null; p = src.next()) {
    frames++;
    const rec = decodeDnstap(p);
    const isQuery = rec.type === CLIENT_QUERY;
    if (isQuery) queries++;
    else if (rec.type === CLIENT_RESPONSE) responses++;
    else continue;
    const wire = isQuery ? rec.queryMessage : rec.responseMessage;
    const m = wire ? parseDnsMessage(wire) : null;
    if (m === null || m.qname === null) bad++;
  }
  return { frames, queries, responses, extra: bad, ...sw.stop() };
};

/**
 * (d): the row path of lib/dnstap/file.ts without the database: batches of `batchFrames`
 * frames, each sealed and its COPY data taken; what commit.ts does with dnstap_pending
 * (answered keys deleted, waiting queries kept, those older than the cutoff become rows) is
 * emulated in a Map so the rows can be counted.
 */
function stageRows(batchFrames: number): Stage {
  return (bytes) => {
    const sw = new Stopwatch();
    const assembler = new DnstapAssembler({ nodeId: 1, clock: createZoneClock("UTC") });
    const pending = new Map<string, number>();
    let frames = 0, rows = 0, copyBytes = 0, malformed = 0, skipped = 0;
    const newBatch = (at: number) =>
      new Batch({ path: "bench.fstrm", fingerprint: "bench", startOffset: at }, {
        format: "binary",
        dnstap: true,
      });
    const settle = (b: Batch, expireBefore: Date) => {
      assembler.seal(b, expireBefore);
      for (const block of (b.rows as { blocks: Uint8Array[] }).blocks) copyBytes += block.length;
      rows += b.counts.rows;
      const d = b.dnstap!;
      for (const k of d.answered) pending.delete(k);
      for (const w of d.waiting) pending.set(w.key, w.atUs);
      const cutoffUs = d.expireBefore.getTime() * 1000;
      for (const [k, atUs] of pending) {
        if (atUs < cutoffUs) {
          pending.delete(k);
          rows++;
        }
      }
    };
    let batch = newBatch(0);
    const src = new FrameSource(bytes);
    for (let p = src.next(); p !== null; p = src.next()) {
      frames++;
      batch.endOffset = src.end;
      batch.counts.lines++;
      let outcome: string;
      try {
        outcome = assembler.add(decodeDnstap(p), batch);
      } catch (error) {
        if (!(error instanceof DnstapDecodeError)) throw error;
        outcome = "malformed";
      }
      if (outcome === "malformed") malformed++;
      else if (outcome === "skipped") skipped++;
      if (batch.counts.lines >= batchFrames) {
        settle(batch, new Date(assembler.lastFrameMs - DNSTAP_ANSWER_WINDOW_MS));
        batch = newBatch(batch.endOffset);
      }
    }
    if (batch.counts.lines > 0) {
      settle(batch, new Date(assembler.lastFrameMs - DNSTAP_ANSWER_WINDOW_MS));
    }
    // STOP: what is still waiting never gets a response (ingest's finishAtStop).
    settle(newBatch(batch.endOffset), new Date("9999-12-31T00:00:00Z"));
    if (malformed > 0 || skipped > 0) {
      throw new Error(`row path: ${malformed} malformed, ${skipped} skipped frames`);
    }
    return { frames, queries: 0, responses: 0, extra: rows, copyBytes, ...sw.stop() };
  };
}

/** The library-only path: protobufjs decode + dns-packet decode of the whole DNS message. */
function stageLibrary(T: PbType): Stage {
  return (bytes) => {
    const sw = new Stopwatch();
    const src = new FrameSource(bytes);
    let frames = 0, queries = 0, responses = 0, records = 0;
    for (let p = src.next(); p !== null; p = src.next()) {
      frames++;
      const m = (T.decode(p) as unknown as PbDnstap).message!;
      const isQuery = m.type === CLIENT_QUERY;
      if (isQuery) queries++;
      else if (m.type === CLIENT_RESPONSE) responses++;
      else continue;
      const w = isQuery ? m.queryMessage! : m.responseMessage!;
      const packet = packetOf(w);
      records += packet.questions.length + packet.answers.length;
    }
    return { frames, queries, responses, extra: records & 1, ...sw.stop() };
  };
}

/** parseDnsMessage and dns-packet alone, on the fixture's messages, `count` messages a run. */
function wireOnly(
  wires: Uint8Array[],
  count: number,
): { ours: () => number; library: () => number } {
  const buffers = wires.map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength));
  return {
    ours() {
      const sw = new Stopwatch();
      let acc = 0;
      for (let i = 0; i < count; i++) acc += parseDnsMessage(wires[i % wires.length])!.qdcount;
      if (acc < 0) console.log(acc);
      return sw.stop().cpu;
    },
    library() {
      const sw = new Stopwatch();
      let acc = 0;
      for (let i = 0; i < count; i++) {
        acc += (dnsPacket.decode(buffers[i % buffers.length]) as PacketView).questions.length;
      }
      if (acc < 0) console.log(acc);
      return sw.stop().cpu;
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function npmVersions(): Promise<string> {
  try {
    const lock = JSON.parse(await Deno.readTextFile(LOCK));
    const config = JSON.parse(await Deno.readTextFile(CONFIG));
    return ["protobufjs", "dns-packet", "postgres"].map((name) => {
      const spec = String(config.imports[name] ?? "");
      return `${name} ${lock.specifiers?.[spec] ?? "?"}`;
    }).join(", ");
  } catch {
    return "npm versions unknown";
  }
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? "?";
  } catch {
    return "?";
  }
}

const loadAvg = () => {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      frames: { type: "string", default: "2000000" },
      runs: { type: "string", default: "3" },
      "stored-runs": { type: "string", default: "3" },
      "batch-frames": { type: "string" },
      "wire-messages": { type: "string", default: "500000" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const int = (s: string | undefined, fallback: number) =>
    s === undefined ? fallback : Number(s.replaceAll("_", ""));
  const frames = int(values.frames, 0);
  const runs = int(values.runs, 0);
  const storedRuns = int(values["stored-runs"], 0);
  const batchFrames = int(values["batch-frames"], 50_000);
  const wireMessages = int(values["wire-messages"], 0);
  if (
    ![frames, runs, batchFrames, wireMessages].every((n) => Number.isSafeInteger(n) && n >= 1) ||
    !Number.isSafeInteger(storedRuns) || storedRuns < 0
  ) {
    console.error(`dnstap_bench: options take positive integers\n\n${HELP}`);
    return 64;
  }
  const adminUrl = Deno.env.get("DNSA_TEST_DATABASE_URL") ?? DEFAULT_ADMIN_URL;
  const dir = await Deno.makeTempDir({ prefix: "dnsa_dnstap_" });
  const capture = `${dir}/bench.fstrm`;
  const gnuTime = await hasGnuTime();
  const loadBefore = loadAvg();
  let failed = false;
  const fail = (message: string) => {
    console.error(`dnstap_bench: ${message}`);
    failed = true;
  };
  const created: string[] = [];
  try {
    // ---- the capture
    const T = await dnstapType();
    const templates = await loadTemplates(T);
    const gen = await writeCapture(capture, T, templates, frames);
    console.error(
      `generated ${fmtInt(frames)} frames (${mb(gen.bytes)} MB, ${gen.cycles.toFixed(2)} cycles ` +
        `of ${fmtInt(gen.fixtureFrames)}) in ${gen.seconds.toFixed(1)} s`,
    );

    // ---- part 1: in-process
    const bytes = await Deno.readFile(capture);
    const warm = bytes.subarray(0, gen.warmEnd);
    const T2 = await dnstapType(); // the library path's own protobufjs type, as message.ts builds
    const stages: { name: string; label: string; run: Stage }[] = [
      { name: "a", label: "(a) FrameDecoder", run: stageFrames },
      { name: "b", label: "(b) + decodeDnstap", run: stageMessage },
      { name: "c", label: "(c) + parseDnsMessage", run: stageWire },
      { name: "d", label: "(d) rows: + DnstapAssembler", run: stageRows(batchFrames) },
      { name: "lib", label: "library: protobufjs + dns-packet", run: stageLibrary(T2) },
    ];
    const times = new Map<string, { wall: number[]; cpu: number[] }>(
      stages.map((s) => [s.name, { wall: [], cpu: [] }]),
    );
    let copyBytes = 0;
    const check = (s: { name: string }, r: StageResult) => {
      if (r.frames !== frames) fail(`(${s.name}) read ${r.frames} frames, expected ${frames}`);
      if (s.name === "b" || s.name === "c" || s.name === "lib") {
        if (r.queries !== gen.queries || r.responses !== gen.responses) {
          fail(
            `(${s.name}) ${r.queries} queries / ${r.responses} responses, expected ` +
              `${gen.queries} / ${gen.responses}`,
          );
        }
      }
      if (s.name === "c" && r.extra !== 0) fail(`(c) parseDnsMessage refused ${r.extra} messages`);
      if (s.name === "d" && r.extra !== gen.rows) {
        fail(`(d) ${r.extra} rows, expected ${gen.rows} (responses + unanswered queries)`);
      }
    };
    for (const s of stages) s.run(warm); // JIT warm-up on the first 100k frames
    for (let r = 0; r < runs; r++) {
      for (const s of stages) {
        const res = s.run(bytes);
        check(s, res);
        times.get(s.name)!.wall.push(res.seconds);
        times.get(s.name)!.cpu.push(res.cpu);
        if (s.name === "d") copyBytes = res.copyBytes ?? 0;
        console.error(
          `run ${r + 1}/${runs} ${s.label}: ${res.seconds.toFixed(2)} s wall, ` +
            `${res.cpu.toFixed(2)} s CPU, ${fmtInt(frames / res.seconds)} frames/s`,
        );
      }
    }
    const wires = templates.filter((t) => t.kind !== "other").map((t) =>
      t.kind === "query" ? t.msg.queryMessage! : t.msg.responseMessage!
    );
    const wb = wireOnly(wires, wireMessages);
    wb.ours();
    wb.library();
    const wireOurs: number[] = [], wireLib: number[] = [];
    for (let r = 0; r < runs; r++) {
      wireOurs.push(wb.ours());
      wireLib.push(wb.library());
    }
    /** Frames per wall-clock second, and per CPU second of the process (= on one core). */
    const rate = (name: string, kind: "wall" | "cpu" = "cpu") =>
      frames / median(times.get(name)![kind]);
    const runsOf = (name: string, kind: "wall" | "cpu") =>
      times.get(name)![kind].map((t) => fmtInt(frames / t)).join(" / ");

    // ---- part 2: stored
    const batchArgs = values["batch-frames"] ? ["--batch-rows", values["batch-frames"]] : [];
    const stored: {
      run: TimedRun;
      rows: number;
      peakKb: number;
      summary: Record<string, unknown> | null;
    }[] = [];
    let pgVersion = "PostgreSQL not used (--stored-runs 0)", pgSettings = "";
    // Byte order, as the database's `collate "C"` below.
    const expectedRcodes = Object.entries(gen.byRcode).sort(([a], [b]) => a < b ? -1 : 1)
      .map(([k, v]) => `${k}=${v}`).join(" ");
    let dbRcodes = "";
    for (let r = 1; r <= storedRuns; r++) {
      const dbName = `dnsa_bench_dnstap_${Deno.pid}_${r}`;
      const dbUrlObject = new URL(adminUrl);
      dbUrlObject.pathname = `/${dbName}`;
      const dbUrl = dbUrlObject.href;
      await psql(adminUrl, "-c", `drop database if exists ${dbName} with (force)`);
      await psql(adminUrl, "-c", `create database ${dbName}`);
      created.push(dbName);
      if (r === 1) {
        pgVersion = await psql(dbUrl, "-c", "select version()");
        pgSettings = await psql(
          dbUrl,
          "-F",
          " ",
          "-c",
          "select 'shared_buffers=' || current_setting('shared_buffers'), " +
            "'max_wal_size=' || current_setting('max_wal_size'), " +
            "'synchronous_commit=' || current_setting('synchronous_commit')",
        );
      }
      await psql(adminUrl, "-c", "checkpoint");
      const run = await timedRun(Deno.execPath(), [
        "run",
        "-A",
        "--config",
        CONFIG,
        MAIN,
        "ingest",
        ...batchArgs,
        capture,
      ], {
        env: {
          ...cleanEnv(),
          NO_COLOR: "1",
          TZ: "UTC",
          DATABASE_URL: dbUrl,
          DNSA_NODE: "bench",
          DNSA_LOG_TZ: "UTC",
        },
        dbName,
        dir,
        gnuTime,
      });
      const summary = lastJsonLine(run.stdout);
      const peakKb = Math.max(0, ...run.usage.processes.map((p) => p.hwmKb));
      stored.push({ run, rows: -1, peakKb, summary });
      console.error(
        `stored run ${r}/${storedRuns}: ${run.seconds.toFixed(2)} s, exit ${run.code}, ` +
          `peak RSS ${mb(peakKb * 1024)} MB`,
      );
      if (run.code !== 0) {
        fail(`ingest exited ${run.code}:\n${run.stderr.trim().slice(-4000)}`);
      } else if (!summary) fail("ingest printed no JSON summary as its last stdout line");
      else {
        const want: Record<string, number> = {
          lines: frames,
          rows: gen.rows,
          rejected: 0,
          skipped: gen.other,
          pending: 0,
          failed_files: 0,
        };
        for (const [k, v] of Object.entries(want)) {
          if (summary[k] !== v) fail(`run ${r}: summary ${k}=${summary[k]}, expected ${v}`);
        }
      }
      if (run.code === 0) {
        const count = Number(await psql(dbUrl, "-c", "select count(*) from dns_queries"));
        stored.at(-1)!.rows = count;
        if (count !== gen.rows) {
          fail(`run ${r}: dns_queries holds ${count} rows, expected ${gen.rows}`);
        }
        dbRcodes = (await psql(
          dbUrl,
          "-F",
          "=",
          "-c",
          "select coalesce(response_rcode, 'NULL'), count(*) from dns_queries group by 1 " +
            "order by coalesce(response_rcode, 'NULL') collate \"C\"",
        )).split("\n").join(" ");
        if (dbRcodes !== expectedRcodes) {
          fail(`run ${r}: per-rcode counts ${dbRcodes}, expected ${expectedRcodes}`);
        }
        const left = Number(await psql(dbUrl, "-c", "select count(*) from dnstap_pending"));
        if (left !== 0) fail(`run ${r}: dnstap_pending still holds ${left} queries`);
      }
      await psql(adminUrl, "-c", `drop database if exists ${dbName} with (force)`);
      created.splice(created.indexOf(dbName), 1);
    }

    // ---- report
    const lines = [
      `dnstap benchmark: decode rate on one core, and dns-analytics ingest of a dnstap capture ` +
      `(MB = 10^6 bytes; medians of ${runs} runs in process, ${storedRuns} stored)`,
      `  capture        ${fmtInt(frames)} data frames, ${mb(gen.bytes)} MB ` +
      `(${(gen.bytes / frames).toFixed(0)} B/frame): ${gen.cycles.toFixed(2)} cycles of the ` +
      `fixtures' ${fmtInt(gen.fixtureFrames)} frames, ${gen.periodSec} s apart, ` +
      `${isoSec(gen.firstSec)} .. ${isoSec(gen.lastSec)} UTC; generated in ` +
      `${gen.seconds.toFixed(1)} s (protobufjs re-encoding)`,
      `  frames         ${fmtInt(gen.queries)} CLIENT_QUERY, ${fmtInt(gen.responses)} ` +
      `CLIENT_RESPONSE, ${fmtInt(gen.other)} other; joins: ${fmtInt(gen.joined)} pairs, ` +
      `${fmtInt(gen.responseOnly)} responses without query, ${fmtInt(gen.unanswered)} ` +
      `unanswered queries → ${fmtInt(gen.rows)} rows expected`,
      `  in-process     FrameDecoder fed 64 KiB pieces of the capture held in memory; ` +
      `frames per CPU second of the process (user+sys, GC threads included) and per ` +
      `wall-clock second, median (runs)`,
      ...stages.flatMap((s) => [
        `    ${s.label.padEnd(34)} ${fmtInt(rate(s.name)).padStart(11)} frames/s CPU  ` +
        `(${runsOf(s.name, "cpu")})` +
        (s.name === "d"
          ? `; ${batchFrames.toLocaleString("en-US")}-frame binary batches, ` +
            `${mb(copyBytes)} MB of COPY data`
          : ""),
        `    ${"".padEnd(34)} ${fmtInt(rate(s.name, "wall")).padStart(11)} frames/s wall ` +
        `(${runsOf(s.name, "wall")})`,
      ]),
      `    ratio (c) / library              ${(rate("c") / rate("lib")).toFixed(2)}× CPU, ` +
      `${(rate("c", "wall") / rate("lib", "wall")).toFixed(2)}× wall ` +
      `(decodeDnstap + hand-written wire parser vs protobufjs + dns-packet, frames/s)`,
      `    wire parser alone                parseDnsMessage ${
        fmtInt(wireMessages / median(wireOurs))
      } ` +
      `msg/s vs dns-packet.decode ${fmtInt(wireMessages / median(wireLib))} msg/s: ` +
      `${(median(wireLib) / median(wireOurs)).toFixed(1)}× (${fmtInt(wireMessages)} of the ` +
      `fixtures' ${fmtInt(wires.length)} messages per run; CPU time)`,
      `    per-stage CPU cost               a ${(1e9 / rate("a")).toFixed(0)} ns, ` +
      `b-a ${(1e9 / rate("b") - 1e9 / rate("a")).toFixed(0)} ns, ` +
      `c-b ${(1e9 / rate("c") - 1e9 / rate("b")).toFixed(0)} ns, ` +
      `d-b ${(1e9 / rate("d") - 1e9 / rate("b")).toFixed(0)} ns per frame ` +
      `(d includes its own parseDnsMessage)`,
      `  target         >= ${fmtInt(TARGET)} frames/s decoded on one core: (c) decode ` +
      `${fmtInt(rate("c"))} ${rate("c") >= TARGET ? "MET" : "NOT MET"}, (d) rows ` +
      `${fmtInt(rate("d"))} ${rate("d") >= TARGET ? "MET" : "NOT MET"} (per CPU second; ` +
      `wall: (c) ${fmtInt(rate("c", "wall"))}, (d) ${fmtInt(rate("d", "wall"))})`,
    ];
    if (stored.length > 0) {
      const secsOf = stored.map((s) => s.run.seconds);
      const peaks = stored.map((s) => s.peakKb);
      const u = stored.map((s) => s.run.usage);
      const own = stored.map((s) =>
        s.run.gnu
          ? s.run.gnu.user + s.run.gnu.sys
          : s.run.usage.processes.filter((p) => p.name !== "time")
            .reduce((n, p) => n + p.cpuSeconds, 0)
      );
      const seen = [
        ...new Set(stored.flatMap((s) => s.run.usage.processes.map((p) => p.name))),
      ].join(", ");
      const ms = median(secsOf);
      lines.push(
        `  stored         deno run -A main.ts ingest <capture>${
          batchArgs.length ? " " + batchArgs.join(" ") : ""
        } into a fresh database per run, start-up and migrations included:`,
        `    time                             ${secs(ms)} median (${secsOf.map(secs).join(" / ")})`,
        `    frames/s                         ${fmtInt(frames / ms)} (${
          secsOf.map((s) => fmtInt(frames / s)).join(" / ")
        })`,
        `    rows/s                           ${fmtInt(gen.rows / ms)} (${
          secsOf.map((s) => fmtInt(gen.rows / s)).join(" / ")
        })`,
        `    peak RSS                         ${mb(median(peaks) * 1024)} MB median, ` +
          `${mb(Math.max(...peaks) * 1024)} MB max (VmHWM polled every 50 ms over the tree: ` +
          `${seen}` +
          (stored[0].run.gnu
            ? `; GNU time -f %M: ${
              stored.map((s) => mb((s.run.gnu?.maxRssKb ?? 0) * 1024)).join(" / ")
            } MB`
            : "") +
          ")",
        `    CPU                              deno ${median(own).toFixed(1)} s ` +
          `(${(100 * median(own) / ms).toFixed(0)}% of one vCPU), postgres backend ` +
          `${median(u.map((x) => x.postgres.backend)).toFixed(1)} s, background ` +
          `${median(u.map((x) => x.postgres.background)).toFixed(1)} s (medians)`,
        `    checks                           summary lines/rows/rejected/skipped/pending ` +
          `of each run: ${
            stored.map((s) =>
              `${s.summary?.lines}/${s.summary?.rows}/${s.summary?.rejected}/` +
              `${s.summary?.skipped}/${s.summary?.pending}`
            ).join(", ")
          }; count(*) dns_queries: ${stored.map((s) => s.rows).join(", ")} ` +
          `(expected ${gen.rows} = ${gen.responses} responses + ${gen.unanswered} unanswered)`,
        `    per rcode                        database ${dbRcodes || "n/a"}`,
        `                                     generator ${expectedRcodes}`,
      );
    } else lines.push("  stored         skipped (--stored-runs 0)");
    lines.push(
      `  versions       Deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ` +
        `${Deno.version.typescript}); ${await npmVersions()}; ${pgVersion}` +
        (pgSettings ? `; ${pgSettings}` : ""),
      `  machine        ${cpuModel()}, ${navigator.hardwareConcurrency} vCPUs; load average ` +
        `${loadBefore} before, ${loadAvg()} after`,
    );
    if (failed) {
      lines.unshift(
        "dnstap benchmark FAILED (see the messages above): the figures below are not valid",
      );
    }
    console.log(lines.join("\n"));
  } catch (error) {
    fail(error instanceof Error ? error.stack ?? error.message : String(error));
  } finally {
    for (const dbName of created) {
      await psql(adminUrl, "-c", `drop database if exists ${dbName} with (force)`).catch((e) =>
        console.error(`dnstap_bench: could not drop ${dbName}: ${e.message}`)
      );
    }
    if (values.keep) console.error(`kept ${dir}`);
    else await Deno.remove(dir, { recursive: true });
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
