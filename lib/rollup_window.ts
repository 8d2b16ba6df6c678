/**
 * One rollup window (a node's day) computed in one pass. The day's raw rows and orphan
 * query-errors lines are read once, sorted by apex, domain, qtype and client hash, through a
 * cursor; every statistics table is computed from that one stream while it is read, and the
 * results are written between fetches (COPY on PostgreSQL, `json_populate_recordset` on the
 * embedded database). Memory is bounded by the day's clients and by one domain's clients, not
 * by the day's rows.
 *
 * In the sorted stream a (domain, qtype) group's clients arrive in hash order, so its unique
 * clients are counted by change of hash and its `client_hashes` are its first 256 hashes; a
 * domain's and an apex's clients are collected in a set that lives while the group does.
 *
 * @module
 */
import type { Tx } from "./db/connect.ts";
import { copyIn } from "./db/copy.ts";
import { ROLLUP_SQL } from "./db/statements.ts";
import type { ZoneClock } from "./time.ts";

const HOUR = 3_600_000;
const SKETCH = 256;
/** Latency histogram: bucket i holds latencies in [2^(i/4), 2^((i+1)/4)) µs (0 for 0-1 µs). */
export const LATENCY_BUCKETS_PER_OCTAVE = 4;

/** rcode columns, in table order: noerror, nxdomain, servfail, refused, other, unknown. */
const RC_INDEX: Record<string, number> = { NOERROR: 0, NXDOMAIN: 1, SERVFAIL: 2, REFUSED: 3 };
function rcIndex(rc: string | null): number {
  return rc === null ? 5 : RC_INDEX[rc] ?? 4;
}

/** Counts of a group: hits, the six rcode counts, first and last time (epoch s). */
class Counts {
  hits = 0;
  rc = [0, 0, 0, 0, 0, 0];
  first = Infinity;
  last = -Infinity;
  add(rc: number, at: number): void {
    this.hits++;
    this.rc[rc]++;
    if (at < this.first) this.first = at;
    if (at > this.last) this.last = at;
  }
}

/** A growable list of latencies (µs). */
class Latencies {
  values = new Int32Array(256);
  n = 0;
  push(v: number): void {
    if (this.n === this.values.length) {
      const next = new Int32Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.n++] = v;
  }
}

/** Exact nearest-rank percentiles and the log-scale histogram of `l` (null without values). */
function latencyColumns(l: Latencies | undefined): (string | null)[] {
  if (!l || l.n === 0) return [null, null, null, "0", null];
  const v = l.values.subarray(0, l.n).sort();
  const at = (p: number) => String(v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)]);
  const hist: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const b = v[i] <= 1 ? 0 : Math.floor(LATENCY_BUCKETS_PER_OCTAVE * Math.log2(v[i]));
    while (hist.length <= b) hist.push(0);
    hist[b]++;
  }
  return [at(0.5), at(0.95), at(0.99), String(v.length), `{${hist.join(",")}}`];
}

/** The 256 smallest hashes (as signed 64-bit numbers) of `hashes`, in order. */
function smallest(hashes: Iterable<string>): string[] {
  const all = [...hashes].map((s) => ({ s, f: Number(s) }));
  all.sort((a, b) => a.f - b.f || (BigInt(a.s) < BigInt(b.s) ? -1 : 1));
  return all.slice(0, SKETCH).map((x) => x.s);
}

function iso(sec: number): string {
  const ms = Math.floor(sec * 1000);
  const us = Math.round(sec * 1e6) - ms * 1000;
  return new Date(ms).toISOString().slice(0, 23) +
    String(Math.max(0, Math.min(999, us))).padStart(3, "0") +
    "Z";
}

type Cell = string | null;

/** Rows bound for one table, written in chunks (COPY text, or JSON on the embedded database). */
class TableWriter {
  #rows: Cell[][] = [];
  constructor(
    readonly table: string,
    readonly columns: readonly string[],
    readonly copy: boolean,
  ) {}

  push(row: Cell[]): void {
    this.#rows.push(row);
  }

  get size(): number {
    return this.#rows.length;
  }

  async flush(tx: Tx): Promise<void> {
    const rows = this.#rows;
    if (rows.length === 0) return;
    this.#rows = [];
    if (this.copy) {
      const esc = (v: Cell) =>
        v === null
          ? "\\N"
          : /[\\\t\n\r]/.test(v)
          ? v.replace(/[\\\t\n\r]/g, (c) =>
            c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r")
          : v;
      const text = rows.map((r) => r.map(esc).join("\t")).join("\n") + "\n";
      await copyIn(tx, this.table, this.columns, [new TextEncoder().encode(text)], "text");
      return;
    }
    const objects = rows.map((r) => Object.fromEntries(this.columns.map((c, i) => [c, r[i]])));
    await tx.unsafe(
      `insert into ${this.table} (${this.columns.join(", ")}) select ${this.columns.join(", ")} ` +
        `from json_populate_recordset(null::${this.table}, $1::text::json)`,
      [JSON.stringify(objects)],
    );
  }
}

const COUNT_COLUMNS = [
  "noerror_count",
  "nxdomain_count",
  "servfail_count",
  "refused_count",
  "other_count",
  "unknown_count",
] as const;
/** Columns of dns_hourly_totals and dns_daily_totals after their first (the hour or the day). */
const TOTALS_COLUMNS = [
  "node_name",
  "hit_count",
  "unique_clients",
  "unique_domains",
  ...COUNT_COLUMNS,
  "client_hashes",
  "latency_p50_us",
  "latency_p95_us",
  "latency_p99_us",
  "latency_count",
  "latency_hist",
] as const;

/** What {@linkcode aggregateWindow} needs. */
export interface WindowSpec {
  nodeId: number;
  nodeName: string;
  day: string;
  lo: Date;
  hi: Date;
  /** Hourly rows are written for hours starting in [hourFrom, hourTo). */
  hourFrom: Date;
  hourTo: Date;
  clock: ZoneClock;
  /** COPY is available (PostgreSQL). */
  copy: boolean;
}

interface ClientAcc {
  counts: Counts;
  domains: number;
  hourMask: number;
  qtypes: number[];
}

interface HourAcc {
  index: number;
  counts: Counts;
  domains: number;
  latencies: Latencies;
}

interface GroupHour {
  counts: Counts;
  clients: number;
}

/**
 * Compute and write every statistics table of one window. The caller deleted the window's old
 * rows and holds the window's lock; returns the raw rows (and orphan lines) read.
 */
export async function aggregateWindow(tx: Tx, w: WindowSpec): Promise<number> {
  const node = w.nodeName;
  const day = w.day;
  const hourFromMs = w.hourFrom.getTime(), hourToMs = w.hourTo.getTime();
  const out = {
    hourly: new TableWriter("dns_hourly_stats", [
      "stat_hour",
      "node_name",
      "domain",
      "apex_domain",
      "qtype",
      "hit_count",
      "unique_clients",
      ...COUNT_COLUMNS,
      "first_seen",
      "last_seen",
    ], w.copy),
    daily: new TableWriter("dns_daily_stats", [
      "stat_date",
      "node_name",
      "domain",
      "apex_domain",
      "qtype",
      "hit_count",
      "unique_clients",
      ...COUNT_COLUMNS,
      "first_seen",
      "last_seen",
      "client_hashes",
    ], w.copy),
    domains: new TableWriter("dns_daily_domains", [
      "stat_date",
      "node_name",
      "domain",
      "apex_domain",
      "hit_count",
      "unique_clients",
      ...COUNT_COLUMNS,
      "first_seen",
      "last_seen",
      "client_hashes",
    ], w.copy),
    apexes: new TableWriter("dns_daily_apexes", [
      "stat_date",
      "node_name",
      "apex_domain",
      "hit_count",
      "unique_clients",
      "unique_domains",
      ...COUNT_COLUMNS,
      "client_hashes",
    ], w.copy),
  };
  const countCells = (c: Counts): Cell[] => c.rc.map(String);

  // The clients of the window, by hash: their addresses come from one small query.
  const clients = new Map<string, ClientAcc>();
  const hours = new Map<number, HourAcc>();
  const qtypeIndex = new Map<string | null, number>();
  const qtypes: { qtype: string | null; counts: Counts; clients: number }[] = [];
  const dayCounts = new Counts();
  const dayLatency = new Latencies();
  let dayDomains = 0;

  // The open groups of the sorted stream.
  let apex: string | null | undefined = undefined;
  let apexCounts = new Counts();
  let apexClients = new Set<string>();
  let apexDomains = 0;
  let domain: string | null | undefined = undefined;
  let domainApex: string | null = null;
  let domainCounts = new Counts();
  let domainClients = new Set<string>();
  let domainHours = new Set<number>();
  let qtype: string | null | undefined = undefined;
  let groupCounts = new Counts();
  let groupClients = 0;
  let groupSketch: string[] = [];
  let groupHours = new Map<number, GroupHour>();
  let client: string | null = null;
  let clientHours = new Set<number>();
  let rows = 0;

  const closeQtype = () => {
    if (qtype === undefined) return;
    for (const [hs, g] of groupHours) {
      if (hs < hourFromMs || hs >= hourToMs) continue;
      out.hourly.push([
        iso(hs / 1000),
        node,
        domain ?? null,
        domainApex,
        qtype,
        String(g.counts.hits),
        String(g.clients),
        ...countCells(g.counts),
        iso(g.counts.first),
        iso(g.counts.last),
      ]);
    }
    out.daily.push([
      day,
      node,
      domain ?? null,
      domainApex,
      qtype,
      String(groupCounts.hits),
      String(groupClients),
      ...countCells(groupCounts),
      iso(groupCounts.first),
      iso(groupCounts.last),
      `{${groupSketch.join(",")}}`,
    ]);
    qtype = undefined;
  };
  const closeDomain = () => {
    closeQtype();
    if (domain === undefined) return;
    out.domains.push([
      day,
      node,
      domain,
      domainApex,
      String(domainCounts.hits),
      String(domainClients.size),
      ...countCells(domainCounts),
      iso(domainCounts.first),
      iso(domainCounts.last),
      `{${smallest(domainClients).join(",")}}`,
    ]);
    dayDomains++;
    apexDomains++;
    domain = undefined;
  };
  const closeApex = () => {
    closeDomain();
    if (apex === undefined) return;
    out.apexes.push([
      day,
      node,
      apex,
      String(apexCounts.hits),
      String(apexClients.size),
      String(apexDomains),
      ...countCells(apexCounts),
      `{${smallest(apexClients).join(",")}}`,
    ]);
    apex = undefined;
  };

  await tx.unsafe(ROLLUP_SQL.windowCursor, [w.nodeId, w.lo, w.hi]);
  const flushAll = async () => {
    for (const t of Object.values(out)) await t.flush(tx);
  };
  type Row = [
    string | null,
    string | null,
    string | null,
    string,
    number,
    string | null,
    number | null,
  ];
  const fetch = () =>
    tx.unsafe(ROLLUP_SQL.windowFetch).values().execute() as unknown as Promise<Row[]>;
  let next: Promise<Row[]> | null = fetch();
  while (next) {
    const batch: Row[] = await next;
    // The server reads the next rows while this batch is counted.
    next = batch.length === FETCH_ROWS ? fetch() : null;
    for (const [a, d, q, h, at, rcText, lat] of batch) {
      rows++;
      if (a !== apex) {
        closeApex();
        apex = a;
        apexCounts = new Counts();
        apexClients = new Set();
        apexDomains = 0;
      }
      if (d !== domain) {
        closeDomain();
        domain = d;
        domainApex = a;
        domainCounts = new Counts();
        domainClients = new Set();
        domainHours = new Set();
      }
      if (q !== qtype) {
        closeQtype();
        qtype = q;
        groupCounts = new Counts();
        groupClients = 0;
        groupSketch = [];
        groupHours = new Map();
        client = null;
      }
      const rc = rcIndex(rcText);
      const ms = Math.round(at * 1000);
      const wall = w.clock.toWall(ms);
      const hs = ms - (((wall % HOUR) + HOUR) % HOUR);
      let hour = hours.get(hs);
      if (!hour) {
        hour = { index: hours.size, counts: new Counts(), domains: 0, latencies: new Latencies() };
        hours.set(hs, hour);
      }
      if (h !== client) {
        client = h;
        clientHours = new Set();
        groupClients++;
        if (groupSketch.length < SKETCH) groupSketch.push(h);
      }
      let gh = groupHours.get(hs);
      if (!gh) {
        gh = { counts: new Counts(), clients: 0 };
        groupHours.set(hs, gh);
      }
      if (!clientHours.has(hs)) {
        clientHours.add(hs);
        gh.clients++;
      }
      if (!domainHours.has(hs)) {
        domainHours.add(hs);
        hour.domains++;
      }
      let c = clients.get(h);
      if (!c) {
        c = { counts: new Counts(), domains: 0, hourMask: 0, qtypes: [] };
        clients.set(h, c);
      }
      if (!domainClients.has(h)) {
        domainClients.add(h);
        c.domains++;
      }
      apexClients.add(h);
      c.hourMask |= 1 << (hour.index & 31);
      let qi = qtypeIndex.get(q);
      if (qi === undefined) {
        qi = qtypes.length;
        qtypeIndex.set(q, qi);
        qtypes.push({ qtype: q, counts: new Counts(), clients: 0 });
      }
      if (!c.qtypes.includes(qi)) {
        c.qtypes.push(qi);
        qtypes[qi].clients++;
      }
      gh.counts.add(rc, at);
      groupCounts.add(rc, at);
      domainCounts.add(rc, at);
      apexCounts.add(rc, at);
      c.counts.add(rc, at);
      hour.counts.add(rc, at);
      qtypes[qi].counts.add(rc, at);
      dayCounts.add(rc, at);
      if (lat !== null) {
        hour.latencies.push(lat);
        dayLatency.push(lat);
      }
    }
    if (out.hourly.size + out.daily.size + out.domains.size >= 20_000) await flushAll();
  }
  closeApex();
  await tx.unsafe(ROLLUP_SQL.windowClose);
  await flushAll();
  if (rows === 0) return 0;

  // Per client, per qtype, per hour and the day: from what the stream left in memory.
  const ips = new Map<string, string>();
  for (
    const r of await tx.unsafe<{ h: string; ip: string }[]>(ROLLUP_SQL.windowClients, [
      w.nodeId,
      w.lo,
      w.hi,
    ])
  ) ips.set(r.h, r.ip);
  const clientOut = new TableWriter("dns_daily_clients", [
    "stat_date",
    "node_name",
    "client_ip",
    "hit_count",
    "unique_domains",
    ...COUNT_COLUMNS,
    "first_seen",
    "last_seen",
  ], w.copy);
  const hourList = [...hours.entries()];
  const hourHashes: string[][] = hourList.map(() => []);
  const hourClients = hourList.map(() => 0);
  for (const [h, c] of clients) {
    clientOut.push([
      day,
      node,
      ips.get(h) ?? null,
      String(c.counts.hits),
      String(c.domains),
      ...countCells(c.counts),
      iso(c.counts.first),
      iso(c.counts.last),
    ]);
    if (clientOut.size >= 20_000) await clientOut.flush(tx);
    for (let i = 0; i < hourList.length; i++) {
      if ((c.hourMask & (1 << (hourList[i][1].index & 31))) === 0) continue;
      hourClients[i]++;
      const list = hourHashes[i];
      list.push(h);
      if (list.length > 8 * SKETCH) hourHashes[i] = smallest(list);
    }
  }
  await clientOut.flush(tx);
  const qtypeOut = new TableWriter("dns_daily_qtypes", [
    "stat_date",
    "node_name",
    "qtype",
    "hit_count",
    "unique_clients",
    ...COUNT_COLUMNS,
  ], w.copy);
  for (const q of qtypes) {
    qtypeOut.push([
      day,
      node,
      q.qtype,
      String(q.counts.hits),
      String(q.clients),
      ...countCells(q.counts),
    ]);
  }
  await qtypeOut.flush(tx);
  const hourOut = new TableWriter("dns_hourly_totals", ["stat_hour", ...TOTALS_COLUMNS], w.copy);
  hourList.forEach(([hs, acc], i) => {
    if (hs < hourFromMs || hs >= hourToMs) return;
    hourOut.push([
      iso(hs / 1000),
      node,
      String(acc.counts.hits),
      String(hourClients[i]),
      String(acc.domains),
      ...countCells(acc.counts),
      `{${smallest(hourHashes[i]).join(",")}}`,
      ...latencyColumns(acc.latencies),
    ]);
  });
  await hourOut.flush(tx);
  const totalOut = new TableWriter("dns_daily_totals", ["stat_date", ...TOTALS_COLUMNS], w.copy);
  totalOut.push([
    day,
    node,
    String(dayCounts.hits),
    String(clients.size),
    String(dayDomains),
    ...countCells(dayCounts),
    `{${smallest(clients.keys()).join(",")}}`,
    ...latencyColumns(dayLatency),
  ]);
  await totalOut.flush(tx);
  return rows;
}

/** Rows per fetch of the window's cursor (sql/rollup/window_fetch.sql says the same). */
const FETCH_ROWS = 20_000;
