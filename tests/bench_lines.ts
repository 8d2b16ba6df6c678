/**
 * Synthetic BIND 9.18 query-log lines for benchmarks, with the exact shape of the real lines in
 * `tests/fixtures/bind-9.18/queries.log.gz`, and the same queries as the seed's nine
 * `dns_queries` columns in CSV (the `psql \copy` reference of the backfill benchmark).
 *
 * Everything comes from one seeded PRNG, so a seed and a line count always give the same bytes.
 * Lines are written in chunks: memory stays flat whatever the count.
 *
 * @example
 * ```ts
 * const stats = await writeBenchLines("/tmp/q.log", "/tmp/q.csv", { lines: 1000, seed: 1 });
 * console.log(stats.logBytes, stats.firstAt, stats.lastAt);
 * ```
 *
 * @module
 */

/** What {@linkcode writeBenchLines} wrote. */
export interface BenchLinesStats {
  lines: number;
  logBytes: number;
  csvBytes: number;
  /** Epoch ms of the first and last line. */
  firstAt: number;
  lastAt: number;
  /** UTC days (YYYY-MM-DD) the lines span. */
  days: string[];
}

/** Options of {@linkcode writeBenchLines}. */
export interface BenchLinesOptions {
  lines: number;
  seed?: number;
  /** Epoch ms of the first line; default: so that the lines straddle 2026-12-01T00:00Z. */
  startAt?: number;
  /** Lines per write, default 50 000. */
  chunkLines?: number;
}

/** sfc32: small, fast, and good enough for synthetic traffic. Returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** Weighted choice over `items`, drawn with a binary search on cumulative weights. */
class Weighted<T> {
  readonly #items: T[];
  readonly #cum: Float64Array;
  constructor(pairs: ReadonlyArray<readonly [T, number]>) {
    this.#items = pairs.map((p) => p[0]);
    this.#cum = new Float64Array(pairs.length);
    let sum = 0;
    pairs.forEach((p, i) => this.#cum[i] = sum += p[1]);
    for (let i = 0; i < pairs.length; i++) this.#cum[i] /= sum;
  }
  pick(r: number): T {
    let lo = 0, hi = this.#cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cum[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return this.#items[lo];
  }
}

/** Multi-label public suffixes the generated names use (the rest are single-label TLDs). */
const MULTI_SUFFIXES = new Set(["co.uk", "co.ug", "ac.ug", "in-addr.arpa", "ip6.arpa"]);

/**
 * The registrable domain of a generated name: one label above its public suffix. Equal to the
 * public-suffix-list answer (ICANN section) for every name this module generates.
 */
export function benchApex(domain: string): string {
  const labels = domain.split(".");
  const two = labels.slice(-2).join(".");
  const n = MULTI_SUFFIXES.has(two) ? 3 : 2;
  return labels.slice(-n).join(".");
}

const POPULAR = [
  "google.com",
  "youtube.com",
  "facebook.com",
  "whatsapp.net",
  "googleapis.com",
  "gstatic.com",
  "netflix.com",
  "apple.com",
  "icloud.com",
  "microsoft.com",
  "instagram.com",
  "fbcdn.net",
  "googlevideo.com",
  "doubleclick.net",
  "amazonaws.com",
  "cloudfront.net",
  "akamaiedge.net",
  "tiktokcdn.com",
  "windowsupdate.com",
  "live.com",
  "office.com",
  "spotify.com",
  "github.com",
  "cloudflare.com",
  "wikipedia.org",
  "mozilla.org",
  "debian.org",
  "ntp.org",
  "archive.org",
  "bbc.co.uk",
  "amazon.co.uk",
  "google.co.uk",
  "ebay.co.uk",
  "mtn.co.ug",
  "airtel.co.ug",
  "monitor.co.ug",
  "newvision.co.ug",
  "stanbic.co.ug",
  "makerere.ac.ug",
  "azureedge.net",
  "edgekey.net",
  "msedge.net",
  "apple-dns.net",
  "x.com",
  "linkedin.com",
  "zoom.us",
];
const HOME = ["codeandcore.home"];
const HOME_HOSTS = ["nas", "www", "gitlab", "printer", "router", "plex", "homeassistant", "pi"];
const SUBS = ["www", "api", "cdn", "m", "static", "img", "edge", "mail", "login", "app", "g"];
const WORDS = [
  "shop",
  "news",
  "cloud",
  "data",
  "media",
  "pay",
  "bank",
  "tech",
  "play",
  "live",
  "sport",
  "travel",
  "kampala",
  "nile",
  "safari",
  "green",
  "smart",
  "info",
  "home",
  "web",
  "mobile",
];
const TAIL_SUFFIXES = new Weighted<string>([
  ["com", 55],
  ["net", 12],
  ["org", 9],
  ["co.uk", 8],
  ["co.ug", 8],
  ["io", 4],
  ["de", 4],
]);

/** The Zipf-weighted pool of query names and, separately, the PTR names. */
function buildNames(random: () => number): { names: Weighted<string>; ptr: Weighted<string> } {
  const list: string[] = [];
  for (const apex of POPULAR) {
    list.push(apex);
    for (const sub of SUBS) if (random() < 0.5) list.push(`${sub}.${apex}`);
  }
  for (const host of HOME_HOSTS) list.push(`${host}.${HOME[0]}`);
  list.push("printer.lan", "router.lan");
  for (let i = 0; i < 20_000; i++) {
    const w1 = WORDS[Math.floor(random() * WORDS.length)];
    const w2 = WORDS[Math.floor(random() * WORDS.length)];
    const apex = `${w1}${w2}${Math.floor(random() * 1000)}.${TAIL_SUFFIXES.pick(random())}`;
    list.push(random() < 0.3 ? `${SUBS[Math.floor(random() * SUBS.length)]}.${apex}` : apex);
  }
  // Popular names first, then a shuffled-in home/tail mix: rank r gets weight 1/r (s = 1).
  const head = list.slice(0, 120);
  const rest = list.slice(120);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  const ranked = [...head, ...rest];
  const names = new Weighted(ranked.map((n, i) => [n, 1 / (i + 1)] as const));
  const ptrs: [string, number][] = [];
  for (let i = 1; i < 255; i++) ptrs.push([`${i}.238.168.192.in-addr.arpa`, 1 / i]);
  for (const ip of ["1.1.1.1", "8.8.8.8", "41.210.141.10", "196.43.133.9"]) {
    ptrs.push([`${ip.split(".").reverse().join(".")}.in-addr.arpa`, 0.5]);
  }
  ptrs.push([`1.${"0.".repeat(31)}ip6.arpa`, 0.2]);
  return { names, ptr: new Weighted(ptrs) };
}

interface Client {
  ip: string;
  server: string;
}

function buildClients(random: () => number): Weighted<Client> {
  const pairs: [Client, number][] = [];
  const hosts = new Set<number>();
  while (hosts.size < 30) hosts.add(2 + Math.floor(random() * 250));
  [...hosts].forEach((h, i) => {
    pairs.push([{ ip: `192.168.238.${h}`, server: "192.168.238.1" }, 1 / (i + 1) ** 0.8]);
  });
  for (const ip of ["fd00:238::10", "fd00:238::1e", "2c0f:fe38:2000:4a1::7"]) {
    pairs.push([{ ip, server: "fd00:238::1" }, 0.05]);
  }
  return new Weighted(pairs);
}

const QTYPES = new Weighted<string>([
  ["A", 51],
  ["AAAA", 29],
  ["HTTPS", 12],
  ["PTR", 6],
  ["TXT", 1.5],
  ["MX", 0.5],
]);
const FLAGS = new Weighted<string>([
  ["+E(0)", 57],
  ["+", 11],
  ["+E(0)D", 11],
  ["+E(0)T", 10],
  ["+E(0)K", 8],
  ["+E(0)TK", 1],
  ["-E(0)K", 1],
  ["+E(0)DK", 0.5],
  ["+E(0)TDK", 0.5],
]);
const ECS4 = ["41.210.0.0/16/0", "102.85.0.0/16/0", "197.157.0.0/17/0"];
const ECS6 = ["2c0f:fe38:2000::/40/0"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number, w: number) => String(n).padStart(w, "0");

/** BIND's `DD-Mon-YYYY HH:MM:SS.mmm`, in UTC. */
export function formatBindTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate(), 2)}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.` +
    pad(d.getUTCMilliseconds(), 3);
}

/** Some clients randomise the case of names (DNS 0x20); BIND logs them as sent. */
function mixCase(name: string, random: () => number): string {
  let out = "";
  for (const ch of name) out += random() < 0.5 ? ch.toUpperCase() : ch;
  return out;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/**
 * Write `options.lines` query-log lines to `logPath` and the same queries as CSV (the seed's
 * nine columns, `response_rcode` and `cached` empty = NULL) to `csvPath`. Timestamps advance
 * in BIND's 4 ms steps at about 2000 lines/s.
 */
export async function writeBenchLines(
  logPath: string,
  csvPath: string,
  options: BenchLinesOptions,
): Promise<BenchLinesStats> {
  const random = createRandom(options.seed ?? 20261125);
  const { names, ptr } = buildNames(random);
  const clients = buildClients(random);
  const pointers = Array.from(
    { length: 12 },
    () =>
      "0x7fd4" + Math.floor(random() * 0x100000).toString(16).padStart(5, "0") +
      ["098", "898", "c98"][Math.floor(random() * 3)],
  );
  const total = options.lines;
  const spanMs = total / 2;
  let at = options.startAt ?? Date.UTC(2026, 11, 1) - Math.round(spanMs / 2 / 4) * 4;
  const firstAt = at;
  const chunk = options.chunkLines ?? 50_000;
  const enc = new TextEncoder();
  const log = await Deno.open(logPath, { write: true, create: true, truncate: true });
  const csv = await Deno.open(csvPath, { write: true, create: true, truncate: true });
  const days = new Set<string>();
  const apexes = new Map<string, string>();
  let logBytes = 0, csvBytes = 0, stamp = "", iso = "", stampAt = -1;
  try {
    for (let done = 0; done < total;) {
      const n = Math.min(chunk, total - done);
      const logLines: string[] = new Array(n);
      const csvLines: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        if (stampAt !== at) {
          stampAt = at;
          stamp = formatBindTime(at);
          iso = new Date(at).toISOString();
          days.add(iso.slice(0, 10));
        }
        const client = clients.pick(random());
        const qtype = QTYPES.pick(random());
        const domain = qtype === "PTR" ? ptr.pick(random()) : names.pick(random());
        const qname = random() < 0.01 ? mixCase(domain, random) : domain;
        const port = 32768 + Math.floor(random() * 28232); // Linux ephemeral range
        const flags = FLAGS.pick(random());
        const view = random() < 0.03 ? "view internal: " : "";
        const v6 = client.ip.includes(":");
        const ecs = random() < 0.04
          ? ` [ECS ${(v6 ? ECS6 : ECS4)[Math.floor(random() * (v6 ? 1 : 3))]}]`
          : "";
        const ptrHex = pointers[Math.floor(random() * pointers.length)];
        logLines[i] = `${stamp} client @${ptrHex} ${client.ip}#${port} (${qname}): ${view}` +
          `query: ${qname} IN ${qtype} ${flags} (${client.server})${ecs}`;
        let apex = apexes.get(domain);
        if (apex === undefined) apexes.set(domain, apex = benchApex(domain));
        csvLines[i] = `${iso},${client.ip},${port},${domain},${apex},${qtype},${flags},,`;
        // A 4 ms tick holds 8 lines on average: 250 ticks/s = 2000 lines/s.
        if (random() < 0.125) at += 4;
      }
      done += n;
      const logChunk = enc.encode(logLines.join("\n") + "\n");
      const csvChunk = enc.encode(csvLines.join("\n") + "\n");
      logBytes += logChunk.length;
      csvBytes += csvChunk.length;
      await writeAll(log, logChunk);
      await writeAll(csv, csvChunk);
    }
  } finally {
    log.close();
    csv.close();
  }
  return { lines: total, logBytes, csvBytes, firstAt, lastAt: stampAt, days: [...days] };
}
