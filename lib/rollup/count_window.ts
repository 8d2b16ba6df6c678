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
 * window's clients and by one domain's rows, never by the window's rows. The whole-window
 * tables are counted beside (lib/rollup/count_totals.ts), by the window's hours
 * (lib/rollup/count_hours.ts).
 *
 * @module
 */
import { HCAP, WindowHours } from "./count_hours.ts";
import { SKETCH, WindowTotals } from "./count_totals.ts";
import { IntList } from "./int_list.ts";
import type { PendingWrite, StreamSink } from "./write_stream.ts";

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

/** Aggregates one window; feed it with {@linkcode startDomain} and {@linkcode add}. */
export class WindowAggregator {
  /** The streaming tables' rows; the caller writes them while rows keep coming. */
  readonly sink: StreamSink;
  rows = 0;

  readonly #w: WindowSpec;
  readonly #hashes: readonly string[];
  readonly #ips: readonly string[];
  readonly #n: number;
  readonly #hours: WindowHours;
  readonly #totals: WindowTotals;
  // Qtypes: dictionary.
  readonly #qtypeIndex = new Map<string | null, number>();
  readonly #qtypes: (string | null)[] = [];
  #qcap = 16;
  // Per client: the serial of the domain and of the apex that last counted it.
  readonly #cDomainStamp: Int32Array;
  readonly #cApexStamp: Int32Array;
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
    this.sink = sink;
    this.#hashes = clients.hashes;
    this.#ips = clients.ips;
    const n = this.#n = clients.hashes.length;
    this.#hours = new WindowHours(w);
    this.#totals = new WindowTotals(n);
    this.#cDomainStamp = new Int32Array(n);
    this.#cApexStamp = new Int32Array(n);
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
    const h = this.#hours.of(us);
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
      this.#totals.addClientDomain(c);
    }
    // The apex.
    this.#aHits++;
    this.#aRc[rc]++;
    if (this.#cApexStamp[c] !== this.#aSerial) {
      this.#cApexStamp[c] = this.#aSerial;
      this.#aClients.push(c);
    }
    // The client, the qtype, the hour, the day.
    this.#totals.add(qi, c, us, h, rc, lat);
  }

  /**
   * Close the last domain and apex and return every table with rows still to write: the
   * streaming ones and those that need the whole window (per client, per qtype, per hour and
   * the day). Call once, after the last row.
   */
  finish(): PendingWrite[] {
    this.#closeDomain();
    this.#closeApex();
    const totals = this.#totals.tables(
      this.#w,
      { hashes: this.#hashes, ips: this.#ips },
      this.#qtypes,
      this.#hours,
    );
    return [...this.sink.take(), ...totals];
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
    const cap = this.#qcap * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T, k: number) => {
      const b = make(cap * k);
      b.set(a);
      return b;
    };
    const i32 = (n: number) => new Int32Array(n);
    const f64 = (n: number) => new Float64Array(n);
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
    this.#totals.growQtypes(cap);
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
    this.#totals.addDomain(this.#dHourMask);
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
    const hours = this.#hours;
    for (let h = 0; h < hours.length; h++) {
      const gh = qi * HCAP + h;
      if (this.#ghHits[gh] === 0 || !hours.written(h)) continue;
      this.sink.hourly(
        hours.start[h] * 1000,
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
