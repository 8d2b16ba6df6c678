/**
 * The statistics of a rollup window that need the whole window before any row is written:
 * per client (`dns_daily_clients`), per qtype (`dns_daily_qtypes`), per hour
 * (`dns_hourly_totals`) and the day (`dns_daily_totals`). Counted row by row into typed
 * arrays indexed by client, qtype and hour (lib/rollup/count_window.ts numbers them), and
 * turned into rows once, when the window ends.
 *
 * @module
 */
import { HCAP, type WindowHours } from "./count_hours.ts";
import { IntList, latencyColumns } from "./int_list.ts";
import { type Cell, isoMicros, TableWriter } from "./write_table.ts";
import { COUNT_COLUMNS, type PendingWrite, taken } from "./write_stream.ts";

/** Client hashes kept in a KMV sketch. */
export const SKETCH = 256;

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

/** What the totals' rows say of the window. */
export interface TotalsWindow {
  nodeName: string;
  day: string;
  copy: boolean;
}

/** The window's totals per client, qtype, hour and day. */
export class WindowTotals {
  readonly #n: number;
  // Clients.
  readonly #cHits: Int32Array;
  readonly #cRc: Int32Array;
  readonly #cFirst: Float64Array;
  readonly #cLast: Float64Array;
  readonly #cDomains: Int32Array;
  readonly #cHourMask: Int32Array;
  // Qtypes, and which clients asked each one.
  #qcap = 16;
  #qHits = new Int32Array(16);
  #qRc = new Int32Array(16 * 6);
  #qClients = new Int32Array(16);
  #cQtypeSeen: Uint8Array;
  // Hours.
  readonly #hHits = new Int32Array(HCAP);
  readonly #hRc = new Int32Array(HCAP * 6);
  readonly #hDomains = new Int32Array(HCAP);
  readonly #hLat: IntList[] = Array.from({ length: HCAP }, () => new IntList());
  // The day.
  #dayHits = 0;
  readonly #dayRc = new Int32Array(6);
  #dayDomains = 0;
  readonly #dayLat = new IntList(1024);

  /** Totals of `clients` clients (indexes 0 … clients - 1). */
  constructor(clients: number) {
    const n = this.#n = clients;
    this.#cHits = new Int32Array(n);
    this.#cRc = new Int32Array(n * 6);
    this.#cFirst = new Float64Array(n).fill(Infinity);
    this.#cLast = new Float64Array(n).fill(-Infinity);
    this.#cDomains = new Int32Array(n);
    this.#cHourMask = new Int32Array(n);
    this.#cQtypeSeen = new Uint8Array(n * this.#qcap);
  }

  /** Count one query: qtype, client, time (epoch µs), hour, rcode index, latency (< 0: none). */
  add(qi: number, c: number, us: number, h: number, rc: number, lat: number): void {
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

  /** Client `c` asked for one more domain. */
  addClientDomain(c: number): void {
    this.#cDomains[c]++;
  }

  /** A domain closed that had queries in the hours of `hourMask`. */
  addDomain(hourMask: number): void {
    for (let h = 0, m = hourMask; m !== 0; h++, m >>>= 1) {
      if (m & 1) this.#hDomains[h]++;
    }
    this.#dayDomains++;
  }

  /** Room for `cap` qtypes (a power of two above the current room). */
  growQtypes(cap: number): void {
    const old = this.#qcap;
    const grow = (a: Int32Array, k: number) => {
      const b = new Int32Array(cap * k);
      b.set(a);
      return b;
    };
    this.#qHits = grow(this.#qHits, 1);
    this.#qRc = grow(this.#qRc, 6);
    this.#qClients = grow(this.#qClients, 1);
    const seen = new Uint8Array(this.#n * cap);
    for (let c = 0; c < this.#n; c++) {
      seen.set(this.#cQtypeSeen.subarray(c * old, c * old + old), c * cap);
    }
    this.#cQtypeSeen = seen;
    this.#qcap = cap;
  }

  /**
   * The four tables' rows: `hashes` and `ips` give each client's hash and address, `qtypes`
   * each qtype index's name, `hours` the window's hours.
   */
  tables(
    w: TotalsWindow,
    clientsOf: { hashes: readonly string[]; ips: readonly string[] },
    qtypes: readonly (string | null)[],
    hours: WindowHours,
  ): PendingWrite[] {
    const node = w.nodeName, day = w.day, copy = w.copy;
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
    const hourCount = hours.length;
    const hourClients = new Int32Array(hourCount);
    const hourSketch: string[][] = hours.start.map(() => []);
    const daySketch: string[] = [];
    let dayClients = 0;
    for (let c = 0; c < this.#n; c++) {
      if (this.#cHits[c] === 0) continue;
      dayClients++;
      if (daySketch.length < SKETCH) daySketch.push(clientsOf.hashes[c]);
      clients.push([
        day,
        node,
        clientsOf.ips[c],
        String(this.#cHits[c]),
        String(this.#cDomains[c]),
        ...rcCells(this.#cRc, c * 6),
        isoMicros(this.#cFirst[c]),
        isoMicros(this.#cLast[c]),
      ]);
      const mask = this.#cHourMask[c];
      for (let h = 0; h < hourCount; h++) {
        if ((mask & (1 << h)) === 0) continue;
        hourClients[h]++;
        if (hourSketch[h].length < SKETCH) hourSketch[h].push(clientsOf.hashes[c]);
      }
    }
    const qtypeRows = new TableWriter("dns_daily_qtypes", [
      "stat_date",
      "node_name",
      "qtype",
      "hit_count",
      "unique_clients",
      ...COUNT_COLUMNS,
    ], copy);
    qtypes.forEach((q, qi) => {
      qtypeRows.push([
        day,
        node,
        q,
        String(this.#qHits[qi]),
        String(this.#qClients[qi]),
        ...rcCells(this.#qRc, qi * 6),
      ]);
    });
    const hourly = new TableWriter("dns_hourly_totals", ["stat_hour", ...TOTALS_COLUMNS], copy);
    for (let h = 0; h < hourCount; h++) {
      if (!hours.written(h) || this.#hHits[h] === 0) continue;
      hourly.push([
        hours.iso[h],
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
    return taken([clients, qtypeRows, hourly, total]);
  }
}
