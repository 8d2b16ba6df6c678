/**
 * Where the rows of the four tables a rollup writes while it reads go: `dns_hourly_stats`,
 * `dns_daily_stats`, `dns_daily_domains` and `dns_daily_apexes` (millions of rows for a busy
 * day). On PostgreSQL they are encoded as binary COPY as they are counted, so neither the
 * program nor the server turns numbers and times into text and back; on the embedded database
 * they become JSON rows (lib/rollup/write_table.ts).
 *
 * Values arrive raw: counts as numbers, times as epoch microseconds, a client sketch as the
 * sorted client indexes (lib/rollup/count_window.ts numbers clients in hash order).
 *
 * @module
 */
import type { BinaryCopyWriter } from "../db/binary_copy.ts";
import type { PendingWrite } from "./write_batches.ts";
import { BinaryTable, type Cell, isoMicros, TableWriter } from "./write_table.ts";

export type { PendingWrite } from "./write_batches.ts";

/** The rcode counts of a row: six numbers of `rc` from `at`. */
export interface RcodeCounts {
  rc: Int32Array;
  at: number;
}

/** The four streaming tables' rows. */
export interface StreamSink {
  /** Rows held, not yet taken. */
  readonly pending: number;
  hourly(
    hourUs: number,
    group: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
  ): void;
  daily(
    group: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): void;
  domain(
    group: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): void;
  apex(
    apex: string | null,
    counts: { hits: number; clients: number; domains: number },
    rc: RcodeCounts,
    sketch: Int32Array,
  ): void;
  /** Take every row held, per table with rows; the sink is empty at once. */
  take(): PendingWrite[];
}

/** What each of `tables` holds, leaving them empty; tables without rows are left out. */
export function taken(tables: readonly { take(): PendingWrite | null }[]): PendingWrite[] {
  const out: PendingWrite[] = [];
  for (const t of tables) {
    const p = t.take();
    if (p) out.push(p);
  }
  return out;
}

/** Domain, apex and qtype of a row (qtype unused by domain rows). */
export interface GroupKey {
  domain: string | null;
  apex: string | null;
  qtype: string | null;
}

/** The rcode columns of every statistics table, in table order. */
export const COUNT_COLUMNS = [
  "noerror_count",
  "nxdomain_count",
  "servfail_count",
  "refused_count",
  "other_count",
  "unknown_count",
];
const HOURLY_COLUMNS = [
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
];
const DAILY_COLUMNS = [
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
];
/** dns_daily_domains: dns_daily_stats's columns without the qtype. */
const DOMAIN_COLUMNS = DAILY_COLUMNS.filter((c) => c !== "qtype");
const APEX_COLUMNS = [
  "stat_date",
  "node_name",
  "apex_domain",
  "hit_count",
  "unique_clients",
  "unique_domains",
  ...COUNT_COLUMNS,
  "client_hashes",
];

/** The rows as text cells (JSON on the embedded database, COPY text elsewhere). */
export class CellSink implements StreamSink {
  readonly #hourly: TableWriter;
  readonly #daily: TableWriter;
  readonly #domains: TableWriter;
  readonly #apexes: TableWriter;

  constructor(
    readonly node: string,
    readonly day: string,
    readonly hashes: readonly string[],
    copy: boolean,
  ) {
    this.#hourly = new TableWriter("dns_hourly_stats", HOURLY_COLUMNS, copy);
    this.#daily = new TableWriter("dns_daily_stats", DAILY_COLUMNS, copy);
    this.#domains = new TableWriter("dns_daily_domains", DOMAIN_COLUMNS, copy);
    this.#apexes = new TableWriter("dns_daily_apexes", APEX_COLUMNS, copy);
  }

  get pending(): number {
    return this.#hourly.size + this.#daily.size + this.#domains.size + this.#apexes.size;
  }

  #rc({ rc, at }: RcodeCounts): Cell[] {
    return [0, 1, 2, 3, 4, 5].map((i) => String(rc[at + i]));
  }

  #sketch(sketch: Int32Array): string {
    let s = "{";
    for (let i = 0; i < sketch.length; i++) s += (i ? "," : "") + this.hashes[sketch[i]];
    return s + "}";
  }

  hourly(
    hourUs: number,
    g: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
  ): void {
    this.#hourly.push([
      isoMicros(hourUs),
      this.node,
      g.domain,
      g.apex,
      g.qtype,
      String(hits),
      String(clients),
      ...this.#rc(rc),
      isoMicros(span[0]),
      isoMicros(span[1]),
    ]);
  }

  daily(
    g: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): void {
    this.#daily.push(this.#dayRow(g, true, [hits, clients], rc, span, sketch));
  }

  domain(
    g: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): void {
    this.#domains.push(this.#dayRow(g, false, [hits, clients], rc, span, sketch));
  }

  /** A row of dns_daily_stats (with the qtype) or of dns_daily_domains (without). */
  #dayRow(
    g: GroupKey,
    withQtype: boolean,
    [hits, clients]: [number, number],
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): Cell[] {
    return [
      this.day,
      this.node,
      g.domain,
      g.apex,
      ...(withQtype ? [g.qtype] : []),
      String(hits),
      String(clients),
      ...this.#rc(rc),
      isoMicros(span[0]),
      isoMicros(span[1]),
      this.#sketch(sketch),
    ];
  }

  apex(
    apex: string | null,
    c: { hits: number; clients: number; domains: number },
    rc: RcodeCounts,
    sketch: Int32Array,
  ): void {
    this.#apexes.push([
      this.day,
      this.node,
      apex,
      String(c.hits),
      String(c.clients),
      String(c.domains),
      ...this.#rc(rc),
      this.#sketch(sketch),
    ]);
  }

  take(): PendingWrite[] {
    return taken([this.#hourly, this.#daily, this.#domains, this.#apexes]);
  }
}

/** The rows as binary COPY (PostgreSQL). */
export class BinarySink implements StreamSink {
  readonly #hourlyT = new BinaryTable("dns_hourly_stats", HOURLY_COLUMNS);
  readonly #dailyT = new BinaryTable("dns_daily_stats", DAILY_COLUMNS);
  readonly #domainsT = new BinaryTable("dns_daily_domains", DOMAIN_COLUMNS);
  readonly #apexesT = new BinaryTable("dns_daily_apexes", APEX_COLUMNS);
  readonly #day: number;

  /** `hi`/`lo`: each client's 64-bit hash as its high (signed) and low 32 bits. */
  constructor(
    readonly node: string,
    day: string,
    readonly hi: Int32Array,
    readonly lo: Uint32Array,
  ) {
    this.#day = Date.parse(`${day}T00:00:00Z`) / 86_400_000;
  }

  get pending(): number {
    return this.#hourlyT.rows + this.#dailyT.rows + this.#domainsT.rows + this.#apexesT.rows;
  }

  #rc(t: BinaryCopyWriter, { rc, at }: RcodeCounts): void {
    for (let i = 0; i < 6; i++) t.int8(rc[at + i]);
  }

  hourly(
    hourUs: number,
    g: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
  ): void {
    const t = this.#hourlyT.writer;
    t.fields(HOURLY_COLUMNS.length);
    t.time(hourUs);
    t.text(this.node);
    t.text(g.domain);
    t.text(g.apex);
    t.text(g.qtype);
    t.int8(hits);
    t.int4(clients);
    this.#rc(t, rc);
    t.time(span[0]);
    t.time(span[1]);
  }

  daily(
    g: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): void {
    this.#dayRow(this.#dailyT, g, true, [hits, clients], rc, span, sketch);
  }

  domain(
    g: GroupKey,
    hits: number,
    clients: number,
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): void {
    this.#dayRow(this.#domainsT, g, false, [hits, clients], rc, span, sketch);
  }

  /** A row of dns_daily_stats (with the qtype) or of dns_daily_domains (without). */
  #dayRow(
    table: BinaryTable,
    g: GroupKey,
    withQtype: boolean,
    [hits, clients]: [number, number],
    rc: RcodeCounts,
    span: [number, number],
    sketch: Int32Array,
  ): void {
    const t = table.writer;
    t.fields(table.columns.length);
    t.date(this.#day);
    t.text(this.node);
    t.text(g.domain);
    t.text(g.apex);
    if (withQtype) t.text(g.qtype);
    t.int8(hits);
    t.int4(clients);
    this.#rc(t, rc);
    t.time(span[0]);
    t.time(span[1]);
    t.int8Array(sketch, this.hi, this.lo);
  }

  apex(
    apex: string | null,
    c: { hits: number; clients: number; domains: number },
    rc: RcodeCounts,
    sketch: Int32Array,
  ): void {
    const t = this.#apexesT.writer;
    t.fields(APEX_COLUMNS.length);
    t.date(this.#day);
    t.text(this.node);
    t.text(apex);
    t.int8(c.hits);
    t.int4(c.clients);
    t.int4(c.domains);
    this.#rc(t, rc);
    t.int8Array(sketch, this.hi, this.lo);
  }

  take(): PendingWrite[] {
    return taken([this.#hourlyT, this.#dailyT, this.#domainsT, this.#apexesT]);
  }
}
