/**
 * Every statistics table of one rollup window (a node's day), computed in one pass over the
 * window's rows sorted by apex and domain.
 *
 * The window's clients are numbered first, in the order of their hashes
 * (`hashinetextended(client_ip, 0)`), so a client is an index into typed arrays and the
 * smallest indexes of any set of clients are its KMV sketch. Unique clients are counted with
 * stamps (the serial of the domain or apex that last counted a client); a domain's
 * (qtype, client, hour) triples are sorted when the domain closes, which gives each
 * (domain, qtype) group and each of its hours their unique clients. Memory is bounded by the
 * window's clients and by one domain's rows, never by the window's rows.
 *
 * @module
 */
import { createZoneClock, type ZoneClock } from "../time.ts";
import { type Cell, isoMicros, TableWriter } from "./write_table.ts";
import { IntList, latencyColumns } from "./int_list.ts";
import { COUNT_COLUMNS, type PendingWrite, type StreamSink, taken } from "./write_stream.ts";

const SKETCH = 256;
/** Hours of a window: 23, 24 or 25 (bit masks hold up to 31). */
const HCAP = 32;
const SLOT_US = 900_000_000; // 15 minutes: every zone's hours start on a quarter hour
const HOUR_MS = 3_600_000;

/** The window's clients in hash order: index i has hash `hashes[i]` and address `ips[i]`. */
export interface WindowClients {
  hashes: readonly string[];
  ips: readonly string[];
}

/** What a window is: its node, day, bounds and the hours whose hourly rows are rewritten. */
export interface WindowSpec {
  nodeId: number;
  nodeName: string;
  day: string;
  lo: Date;
  hi: Date;
  /** Hourly rows are written for hours starting in [hourFrom, hourTo). */
  hourFrom: Date;
  hourTo: Date;
  /** IANA zone of the window's days and hours (DNSA_LOG_TZ). */
  tz: string;
  /** COPY is available (PostgreSQL). */
  copy: boolean;
  /** Statistics rows per batch written while the window is read (default: BATCH_ROWS). */
  batchRows?: number;
  /** Read PostgreSQL windows on a worker thread (default true). */
  readerThread?: boolean;
}

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

function rcCells(rc: Int32Array, base: number): Cell[] {
  return [
    String(rc[base]),
    String(rc[base + 1]),
    String(rc[base + 2]),
    String(rc[base + 3]),
    String(rc[base + 4]),
    String(rc[base + 5]),
  ];
}

/** Aggregates one window; feed it with {@linkcode startDomain} and {@linkcode add}. */
export class WindowAggregator {
  /** The streaming tables' rows; the caller writes them while rows keep coming. */
  readonly sink: StreamSink;
  rows = 0;

  readonly #w: WindowSpec;
  readonly #clock: ZoneClock;
  readonly #hashes: readonly string[];
  readonly #ips: readonly string[];
  readonly #n: number;
  readonly #hourFromMs: number;
  readonly #hourToMs: number;
  // Hours: a quarter hour's slot → hour index; hour index → start (epoch ms).
  readonly #slotBase: number;
  readonly #slotHour: Int8Array;
  readonly #hourStart: number[] = [];
  readonly #hourIso: string[] = [];
  readonly #hHits = new Int32Array(HCAP);
  readonly #hRc = new Int32Array(HCAP * 6);
  readonly #hDomains = new Int32Array(HCAP);
  readonly #hLat: IntList[] = [];
  // Qtypes: dictionary and per-qtype day counts.
  readonly #qtypeIndex = new Map<string | null, number>();
  readonly #qtypes: (string | null)[] = [];
  #qcap = 16;
  #qHits = new Int32Array(16);
  #qRc = new Int32Array(16 * 6);
  #qClients = new Int32Array(16);
  #cQtypeSeen: Uint8Array;
  // Clients.
  readonly #cHits: Int32Array;
  readonly #cRc: Int32Array;
  readonly #cFirst: Float64Array;
  readonly #cLast: Float64Array;
  readonly #cDomains: Int32Array;
  readonly #cHourMask: Int32Array;
  readonly #cDomainStamp: Int32Array;
  readonly #cApexStamp: Int32Array;
  // The day.
  #dayHits = 0;
  readonly #dayRc = new Int32Array(6);
  #dayDomains = 0;
  readonly #dayLat = new IntList(1024);
  // The open apex.
  #apexOpen = false;
  #apex: string | null = null;
  #aSerial = 0;
  #aHits = 0;
  readonly #aRc = new Int32Array(6);
  #aDomains = 0;
  readonly #aClients = new IntList();
  // The open domain and its (qtype) groups.
  #domainOpen = false;
  #domain: string | null = null;
  #dSerial = 0;
  #dHits = 0;
  readonly #dRc = new Int32Array(6);
  #dFirst = Infinity;
  #dLast = -Infinity;
  #dHourMask = 0;
  readonly #dClients = new IntList();
  #triples = new Float64Array(1024);
  #tn = 0;
  #gStamp = new Int32Array(16);
  #gHits = new Int32Array(16);
  #gRc = new Int32Array(16 * 6);
  #gFirst = new Float64Array(16);
  #gLast = new Float64Array(16);
  #ghHits = new Int32Array(16 * HCAP);
  #ghRc = new Int32Array(16 * HCAP * 6);
  #ghFirst = new Float64Array(16 * HCAP);
  #ghLast = new Float64Array(16 * HCAP);
  #ghClients = new Int32Array(16 * HCAP);
  readonly #sketch = new IntList(SKETCH);

  constructor(w: WindowSpec, clients: WindowClients, sink: StreamSink) {
    this.#w = w;
    this.#clock = createZoneClock(w.tz);
    this.sink = sink;
    this.#hashes = clients.hashes;
    this.#ips = clients.ips;
    const n = this.#n = clients.hashes.length;
    this.#hourFromMs = w.hourFrom.getTime();
    this.#hourToMs = w.hourTo.getTime();
    this.#slotBase = Math.floor(w.lo.getTime() * 1000 / SLOT_US);
    const slots = Math.ceil(w.hi.getTime() * 1000 / SLOT_US) - this.#slotBase + 1;
    this.#slotHour = new Int8Array(Math.max(1, slots)).fill(-1);
    this.#cHits = new Int32Array(n);
    this.#cRc = new Int32Array(n * 6);
    this.#cFirst = new Float64Array(n).fill(Infinity);
    this.#cLast = new Float64Array(n).fill(-Infinity);
    this.#cDomains = new Int32Array(n);
    this.#cHourMask = new Int32Array(n);
    this.#cDomainStamp = new Int32Array(n);
    this.#cApexStamp = new Int32Array(n);
    this.#cQtypeSeen = new Uint8Array(n * this.#qcap);
  }

  /** Rows waiting in the four streaming tables. */
  get pending(): number {
    return this.sink.pending;
  }

  /** The index of a qtype (its first use registers it). */
  qtypeIndex(qtype: string | null): number {
    let qi = this.#qtypeIndex.get(qtype);
    if (qi === undefined) {
      qi = this.#qtypes.length;
      if (qi === this.#qcap) this.#growQtypes();
      this.#qtypeIndex.set(qtype, qi);
      this.#qtypes.push(qtype);
    }
    return qi;
  }

  /** The rows that follow belong to `domain` of `apex` (closes the open domain, maybe apex). */
  startDomain(apex: string | null, domain: string | null): void {
    this.#closeDomain();
    if (!this.#apexOpen || apex !== this.#apex) {
      this.#closeApex();
      this.#apexOpen = true;
      this.#apex = apex;
      this.#aSerial++;
    }
    this.#domainOpen = true;
    this.#domain = domain;
    this.#dSerial++;
  }

  /**
   * One query of the open domain: qtype index, client index, time (epoch µs), rcode index
   * (0 NOERROR, 1 NXDOMAIN, 2 SERVFAIL, 3 REFUSED, 4 other, 5 unknown), latency in µs (< 0:
   * none).
   */
  add(qi: number, c: number, us: number, rc: number, lat: number): void {
    if (c < 0 || c >= this.#n) throw new RangeError(`client index ${c} outside the window's`);
    const h = this.#hourOf(us);
    this.rows++;
    // The (domain, qtype) group and its hour.
    if (this.#gStamp[qi] !== this.#dSerial) this.#openGroup(qi);
    this.#gHits[qi]++;
    this.#gRc[qi * 6 + rc]++;
    if (us < this.#gFirst[qi]) this.#gFirst[qi] = us;
    if (us > this.#gLast[qi]) this.#gLast[qi] = us;
    const gh = qi * HCAP + h;
    this.#ghHits[gh]++;
    this.#ghRc[gh * 6 + rc]++;
    if (us < this.#ghFirst[gh]) this.#ghFirst[gh] = us;
    if (us > this.#ghLast[gh]) this.#ghLast[gh] = us;
    if (this.#tn === this.#triples.length) {
      const next = new Float64Array(this.#triples.length * 2);
      next.set(this.#triples);
      this.#triples = next;
    }
    this.#triples[this.#tn++] = (qi * this.#n + c) * HCAP + h;
    // The domain.
    this.#dHits++;
    this.#dRc[rc]++;
    if (us < this.#dFirst) this.#dFirst = us;
    if (us > this.#dLast) this.#dLast = us;
    this.#dHourMask |= 1 << h;
    if (this.#cDomainStamp[c] !== this.#dSerial) {
      this.#cDomainStamp[c] = this.#dSerial;
      this.#dClients.push(c);
      this.#cDomains[c]++;
    }
    // The apex.
    this.#aHits++;
    this.#aRc[rc]++;
    if (this.#cApexStamp[c] !== this.#aSerial) {
      this.#cApexStamp[c] = this.#aSerial;
      this.#aClients.push(c);
    }
    // The client, the qtype, the hour, the day.
    this.#cHits[c]++;
    this.#cRc[c * 6 + rc]++;
    if (us < this.#cFirst[c]) this.#cFirst[c] = us;
    if (us > this.#cLast[c]) this.#cLast[c] = us;
    this.#cHourMask[c] |= 1 << h;
    this.#qHits[qi]++;
    this.#qRc[qi * 6 + rc]++;
    const seen = c * this.#qcap + qi;
    if (this.#cQtypeSeen[seen] === 0) {
      this.#cQtypeSeen[seen] = 1;
      this.#qClients[qi]++;
    }
    this.#hHits[h]++;
    this.#hRc[h * 6 + rc]++;
    this.#dayHits++;
    this.#dayRc[rc]++;
    if (lat >= 0) {
      this.#hLat[h].push(lat);
      this.#dayLat.push(lat);
    }
  }

  /**
   * Close the last domain and apex and return every table with rows still to write: the
   * streaming ones and those that need the whole window (per client, per qtype, per hour and
   * the day). Call once, after the last row.
   */
  finish(): PendingWrite[] {
    this.#closeDomain();
    this.#closeApex();
    const w = this.#w, node = w.nodeName, day = w.day, copy = w.copy;
    const clients = new TableWriter("dns_daily_clients", [
      "stat_date",
      "node_name",
      "client_ip",
      "hit_count",
      "unique_domains",
      ...COUNT_COLUMNS,
      "first_seen",
      "last_seen",
    ], copy);
    const hours = this.#hourStart.length;
    const hourClients = new Int32Array(hours);
    const hourSketch: string[][] = this.#hourStart.map(() => []);
    const daySketch: string[] = [];
    let dayClients = 0;
    for (let c = 0; c < this.#n; c++) {
      if (this.#cHits[c] === 0) continue;
      dayClients++;
      if (daySketch.length < SKETCH) daySketch.push(this.#hashes[c]);
      clients.push([
        day,
        node,
        this.#ips[c],
        String(this.#cHits[c]),
        String(this.#cDomains[c]),
        ...rcCells(this.#cRc, c * 6),
        isoMicros(this.#cFirst[c]),
        isoMicros(this.#cLast[c]),
      ]);
      const mask = this.#cHourMask[c];
      for (let h = 0; h < hours; h++) {
        if ((mask & (1 << h)) === 0) continue;
        hourClients[h]++;
        if (hourSketch[h].length < SKETCH) hourSketch[h].push(this.#hashes[c]);
      }
    }
    const qtypes = new TableWriter("dns_daily_qtypes", [
      "stat_date",
      "node_name",
      "qtype",
      "hit_count",
      "unique_clients",
      ...COUNT_COLUMNS,
    ], copy);
    this.#qtypes.forEach((q, qi) => {
      qtypes.push([
        day,
        node,
        q,
        String(this.#qHits[qi]),
        String(this.#qClients[qi]),
        ...rcCells(this.#qRc, qi * 6),
      ]);
    });
    const hourly = new TableWriter("dns_hourly_totals", ["stat_hour", ...TOTALS_COLUMNS], copy);
    for (let h = 0; h < hours; h++) {
      if (!this.#hourWritten(h) || this.#hHits[h] === 0) continue;
      hourly.push([
        this.#hourIso[h],
        node,
        String(this.#hHits[h]),
        String(hourClients[h]),
        String(this.#hDomains[h]),
        ...rcCells(this.#hRc, h * 6),
        `{${hourSketch[h].join(",")}}`,
        ...latencyColumns(this.#hLat[h]),
      ]);
    }
    const total = new TableWriter("dns_daily_totals", ["stat_date", ...TOTALS_COLUMNS], copy);
    if (this.#dayHits > 0) {
      total.push([
        day,
        node,
        String(this.#dayHits),
        String(dayClients),
        String(this.#dayDomains),
        ...rcCells(this.#dayRc, 0),
        `{${daySketch.join(",")}}`,
        ...latencyColumns(this.#dayLat),
      ]);
    }
    return [...this.sink.take(), ...taken([clients, qtypes, hourly, total])];
  }

  #hourWritten(h: number): boolean {
    const start = this.#hourStart[h];
    return start >= this.#hourFromMs && start < this.#hourToMs;
  }

  /** The window's hour index of an epoch-µs time. */
  #hourOf(us: number): number {
    const slot = Math.floor(us / SLOT_US);
    const i = slot - this.#slotBase;
    if (i >= 0 && i < this.#slotHour.length && this.#slotHour[i] >= 0) return this.#slotHour[i];
    const ms = slot * (SLOT_US / 1000);
    const wall = this.#clock.toWall(ms);
    const start = ms - (((wall % HOUR_MS) + HOUR_MS) % HOUR_MS);
    let h = this.#hourStart.indexOf(start);
    if (h < 0) {
      h = this.#hourStart.length;
      if (h >= HCAP - 1) throw new RangeError(`a window has at most ${HCAP - 1} hours`);
      this.#hourStart.push(start);
      this.#hourIso.push(isoMicros(start * 1000));
      this.#hLat.push(new IntList());
    }
    if (i >= 0 && i < this.#slotHour.length) this.#slotHour[i] = h;
    return h;
  }

  #openGroup(qi: number): void {
    this.#gStamp[qi] = this.#dSerial;
    this.#gHits[qi] = 0;
    this.#gRc.fill(0, qi * 6, qi * 6 + 6);
    this.#gFirst[qi] = Infinity;
    this.#gLast[qi] = -Infinity;
    const base = qi * HCAP;
    this.#ghHits.fill(0, base, base + HCAP);
    this.#ghRc.fill(0, base * 6, (base + HCAP) * 6);
    this.#ghFirst.fill(Infinity, base, base + HCAP);
    this.#ghLast.fill(-Infinity, base, base + HCAP);
    this.#ghClients.fill(0, base, base + HCAP);
  }

  #growQtypes(): void {
    const old = this.#qcap, cap = old * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T, k: number) => {
      const b = make(cap * k);
      b.set(a);
      return b;
    };
    const i32 = (n: number) => new Int32Array(n);
    const f64 = (n: number) => new Float64Array(n);
    this.#qHits = grow(this.#qHits, i32, 1);
    this.#qRc = grow(this.#qRc, i32, 6);
    this.#qClients = grow(this.#qClients, i32, 1);
    this.#gStamp = grow(this.#gStamp, i32, 1);
    this.#gHits = grow(this.#gHits, i32, 1);
    this.#gRc = grow(this.#gRc, i32, 6);
    this.#gFirst = grow(this.#gFirst, f64, 1);
    this.#gLast = grow(this.#gLast, f64, 1);
    this.#ghHits = grow(this.#ghHits, i32, HCAP);
    this.#ghRc = grow(this.#ghRc, i32, HCAP * 6);
    this.#ghFirst = grow(this.#ghFirst, f64, HCAP);
    this.#ghLast = grow(this.#ghLast, f64, HCAP);
    this.#ghClients = grow(this.#ghClients, i32, HCAP);
    const seen = new Uint8Array(this.#n * cap);
    for (let c = 0; c < this.#n; c++) {
      seen.set(this.#cQtypeSeen.subarray(c * old, c * old + old), c * cap);
    }
    this.#cQtypeSeen = seen;
    this.#qcap = cap;
  }

  /** The (at most 256) smallest client indexes of `list`, in order: its sketch. */
  #sketchOf(list: IntList): Int32Array {
    const v = list.values.subarray(0, list.n);
    if (v.length > 1) v.sort();
    return v.slice(0, Math.min(SKETCH, v.length));
  }

  #closeDomain(): void {
    if (!this.#domainOpen) return;
    this.#domainOpen = false;
    const domain = this.#domain, apex = this.#apex;
    // (qtype, client, hour) triples in order: each group's clients and each group-hour's.
    const t = this.#triples.subarray(0, this.#tn);
    if (t.length > 1) t.sort();
    const n = this.#n;
    let prevKey = -1, prevPair = -1, qi = -1;
    for (let i = 0; i < t.length; i++) {
      const key = t[i];
      if (key === prevKey) continue;
      prevKey = key;
      const h = key % HCAP;
      const pair = (key - h) / HCAP;
      if (pair !== prevPair) {
        prevPair = pair;
        const q = Math.floor(pair / n);
        if (q !== qi) {
          if (qi >= 0) this.#emitGroup(qi, domain, apex);
          qi = q;
          this.#sketch.n = 0;
          this.#groupClients = 0;
        }
        this.#groupClients++;
        if (this.#sketch.n < SKETCH) this.#sketch.push(pair - q * n);
      }
      this.#ghClients[qi * HCAP + h]++;
    }
    if (qi >= 0) this.#emitGroup(qi, domain, apex);
    this.#tn = 0;
    this.sink.domain(
      { domain, apex, qtype: null },
      this.#dHits,
      this.#dClients.n,
      { rc: this.#dRc, at: 0 },
      [this.#dFirst, this.#dLast],
      this.#sketchOf(this.#dClients),
    );
    for (let h = 0, m = this.#dHourMask; m !== 0; h++, m >>>= 1) {
      if (m & 1) this.#hDomains[h]++;
    }
    this.#dayDomains++;
    this.#aDomains++;
    this.#dHits = 0;
    this.#dRc.fill(0);
    this.#dFirst = Infinity;
    this.#dLast = -Infinity;
    this.#dHourMask = 0;
    this.#dClients.n = 0;
  }

  #groupClients = 0;

  #emitGroup(qi: number, domain: string | null, apex: string | null): void {
    const key = { domain, apex, qtype: this.#qtypes[qi] };
    for (let h = 0; h < this.#hourStart.length; h++) {
      const gh = qi * HCAP + h;
      if (this.#ghHits[gh] === 0 || !this.#hourWritten(h)) continue;
      this.sink.hourly(
        this.#hourStart[h] * 1000,
        key,
        this.#ghHits[gh],
        this.#ghClients[gh],
        { rc: this.#ghRc, at: gh * 6 },
        [this.#ghFirst[gh], this.#ghLast[gh]],
      );
    }
    this.sink.daily(
      key,
      this.#gHits[qi],
      this.#groupClients,
      { rc: this.#gRc, at: qi * 6 },
      [this.#gFirst[qi], this.#gLast[qi]],
      this.#sketch.values.slice(0, this.#sketch.n),
    );
  }

  #closeApex(): void {
    if (!this.#apexOpen) return;
    this.#apexOpen = false;
    this.sink.apex(
      this.#apex,
      { hits: this.#aHits, clients: this.#aClients.n, domains: this.#aDomains },
      { rc: this.#aRc, at: 0 },
      this.#sketchOf(this.#aClients),
    );
    this.#aHits = 0;
    this.#aRc.fill(0);
    this.#aDomains = 0;
    this.#aClients.n = 0;
  }
}
