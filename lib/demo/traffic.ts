/**
 * Simulated BIND 9.18 traffic for the demo: query-log and query-errors lines in the exact
 * shapes real named writes (see tests/fixtures/bind-9.18), Zipf-popular names across real
 * public suffixes, IPv4 and IPv6 clients, UDP/TCP, EDNS/DO/cookie flags, a share of SERVFAIL
 * and REFUSED answers with their `query failed` lines, and BIND's own rename rotation.
 *
 * @module
 */

import { type SimulatedAnswer, SimulatedNamed } from "./answers.ts";

/** A seeded PRNG (mulberry32): the same seed gives the same traffic. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POPULAR = [
  "youtube.com",
  "www.youtube.com",
  "www.google.com",
  "google.com",
  "g.whatsapp.net",
  "www.facebook.com",
  "graph.facebook.com",
  "www.netflix.com",
  "www.bbc.co.uk",
  "news.bbc.co.uk",
  "www.mtn.co.ug",
  "mtn.co.ug",
  "www.airtel.co.ug",
  "www.example.co.tz",
  "api.github.com",
  "www.apple.com",
  "time.apple.com",
  "login.microsoftonline.com",
  "www.wikipedia.org",
  "cdn.jsdelivr.net",
  "www.amazon.co.uk",
  "www.nation.co.ke",
  "www.monitor.co.ug",
  "ntp.ubuntu.com",
  "connectivity-check.ubuntu.com",
  "nas.codeandcore.home",
  "printer.codeandcore.home",
  "cam1.codeandcore.home",
];
const FAILING = ["api.dead.co.ug", "cdn.lame.co.ug", "www.dead.co.ug"];
const QTYPES: Array<[string, number]> = [
  ["A", 0.5],
  ["AAAA", 0.28],
  ["HTTPS", 0.12],
  ["PTR", 0.05],
  ["TXT", 0.02],
  ["MX", 0.015],
  ["SRV", 0.015],
];
const FLAGS: Array<[string, number]> = [
  ["+E(0)", 0.62],
  ["+", 0.12],
  ["+E(0)D", 0.1],
  ["+E(0)K", 0.08],
  ["+E(0)T", 0.05],
  ["+E(0)TDK", 0.02],
  ["-E(0)K", 0.01],
];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pick<T>(rand: () => number, table: Array<[T, number]>): T {
  let r = rand();
  for (const [v, w] of table) {
    if ((r -= w) < 0) return v;
  }
  return table[table.length - 1][0];
}

/** BIND's `print-time yes` stamp of a wall-clock time (ms encoded with Date.UTC). */
export function bindTimestamp(wallMs: number): string {
  const d = new Date(wallMs);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.` +
    p(d.getUTCMilliseconds(), 3);
}

/** One simulated query: its query-log line and, when it fails, its query-errors line. */
export interface SimulatedQuery {
  query: string;
  error: string | null;
  domain: string;
  /** The query's parts, for the other things named writes (dnstap, its counters). */
  client: string;
  port: number;
  server: string;
  /** The name as the client sent it. */
  name: string;
  qtype: string;
  /** BIND's flag string: `+`/`-` (RD), `E(0)`, `T` (TCP), `D` (DO), `K` (cookie). */
  flags: string;
  /** The DNS message id. */
  id: number;
  /** How named answered (answers.ts). */
  answer: SimulatedAnswer;
}

/** Generates realistic lines; `next(wallMs)` gives the query received at that time. */
export class TrafficGenerator {
  #rand: () => number;
  #clients: Array<[string, string]>; // [address, server address]
  #zipf: number[];
  #named: SimulatedNamed;
  #ids: () => number;

  constructor(seed = 1) {
    this.#rand = createRandom(seed);
    // Separate generators: the query-log lines of a seed are the same as without them.
    this.#named = new SimulatedNamed(seed);
    this.#ids = createRandom((seed * 2654435761) >>> 0);
    this.#clients = [
      ...Array.from({ length: 12 }, (_, i) => [`192.168.238.${20 + i * 7}`, "192.168.238.128"]),
      ["10.10.10.31", "192.168.238.128"],
      ["fd00:238::17", "fd00:238::1"],
      ["fd00:238::2a", "fd00:238::1"],
      ["2001:db8:238::5", "fd00:238::1"],
    ] as Array<[string, string]>;
    // Zipf weights (s = 1.1) over the popular names.
    const w = POPULAR.map((_, i) => 1 / Math.pow(i + 1, 1.1));
    const sum = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    this.#zipf = w.map((x) => (acc += x / sum));
  }

  #name(): { name: string; fails: "SERVFAIL" | null; nx: boolean } {
    const r = this.#rand();
    if (r < 0.03) {
      return { name: FAILING[Math.floor(this.#rand() * 3)], fails: "SERVFAIL", nx: false };
    }
    if (r < 0.12) {
      // Random labels: NXDOMAIN (never in query-errors; the query log cannot tell).
      const label = Math.floor(this.#rand() * 36 ** 6).toString(36);
      return { name: this.#rand() < 0.5 ? `${label}.example.co.ug` : label, fails: null, nx: true };
    }
    if (r < 0.15) {
      const o = () => Math.floor(this.#rand() * 254) + 1;
      return { name: `${o()}.${o()}.168.192.in-addr.arpa`, fails: null, nx: false };
    }
    const z = this.#rand();
    const i = this.#zipf.findIndex((c) => z <= c);
    let name = POPULAR[i < 0 ? 0 : i];
    if (this.#rand() < 0.03) {
      name = name.replace(/[a-z]/g, (c) => this.#rand() < 0.5 ? c.toUpperCase() : c);
    }
    return { name, fails: null, nx: false };
  }

  /**
   * The query received at `wallMs` (BIND writes local time without a zone); `atMs` is the
   * same instant as epoch ms (for the answer's cache and rate limiting; default `wallMs`).
   */
  next(wallMs: number, atMs = wallMs): SimulatedQuery {
    const ts = bindTimestamp(wallMs - (wallMs % 4)); // named's clock moves in 4 ms steps
    const [ip, server] = this.#clients[Math.floor(this.#rand() * this.#clients.length)];
    const port = 1024 + Math.floor(this.#rand() * 64000);
    const ptr = (0x7f000000 + Math.floor(this.#rand() * 0xffffff)).toString(16);
    const n = this.#name();
    const qtype = n.name.endsWith(".in-addr.arpa") ? "PTR" : pick(this.#rand, QTYPES);
    const flags = pick(this.#rand, FLAGS);
    const refused = ip === "10.10.10.31" && this.#rand() < 0.5;
    const prefix = `${ts} client @0x${ptr}098 ${ip}#${port} (${n.name}): `;
    const query = `${prefix}query: ${n.name} IN ${qtype} ${flags} (${server})`;
    let error: string | null = null;
    let reason: "failure" | "SERVFAIL" | undefined;
    if (refused) {
      error = `${prefix}query failed (REFUSED) for ${n.name}/IN/${qtype} at query.c:5708`;
    } else if (n.fails) {
      reason = this.#rand() < 0.6 ? "failure" : "SERVFAIL";
      error = `${prefix}query failed (${reason}) for ${n.name}/IN/${qtype} at query.c:${
        reason === "failure" ? 7916 : 7177
      }`;
    }
    const rcode = refused ? "REFUSED" : n.fails ? "SERVFAIL" : n.nx ? "NXDOMAIN" : "NOERROR";
    const answer = this.#named.answer({
      client: ip,
      name: n.name,
      qtype,
      rcode,
      servfailReason: reason,
      atMs,
    });
    return {
      query,
      error,
      domain: n.name.toLowerCase(),
      client: ip,
      port,
      server,
      name: n.name,
      qtype,
      flags,
      id: Math.floor(this.#ids() * 65536),
      answer,
    };
  }
}

/** A log file that rotates itself like BIND's `versions N size S`. */
export class RotatingLog {
  readonly path: string;
  #versions: number;
  #size: number;
  #file: Deno.FsFile | null = null;
  #written = 0;
  #enc = new TextEncoder();

  constructor(path: string, options: { versions: number; size: number }) {
    this.path = path;
    this.#versions = options.versions;
    this.#size = options.size;
  }

  /** Append lines (each gets its newline); rotates first when the file is over `size`. */
  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    if (this.#file && this.#written >= this.#size) await this.#rotate();
    if (!this.#file) {
      this.#file = await Deno.open(this.path, { append: true, create: true });
      this.#written = (await this.#file.stat()).size;
    }
    const bytes = this.#enc.encode(lines.join("\n") + "\n");
    for (let at = 0; at < bytes.length;) at += await this.#file.write(bytes.subarray(at));
    this.#written += bytes.length;
  }

  async #rotate(): Promise<void> {
    this.#file?.close();
    this.#file = null;
    await Deno.remove(`${this.path}.${this.#versions - 1}`).catch(() => {});
    for (let i = this.#versions - 2; i >= 0; i--) {
      await Deno.rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => {});
    }
    await Deno.rename(this.path, `${this.path}.0`);
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}
