/**
 * A batch: the rows, query-errors lines and reject samples read from one stretch of one
 * file, with the checkpoint that stretch ends at. Query rows are encoded into their
 * {@linkcode RowSink} as they are parsed; nothing about a stored row changes before commit
 * (the rcode joins run in SQL), so no row objects are kept.
 *
 * @module
 */
import type { ErrorLine, QueryLine, RateLimitLine, ResponseLine } from "../parse/types.ts";
import { isIpAddress } from "./address.ts";
import { BinaryCopySink, type FastRow } from "./binary_sink.ts";
import { BLOCK_COLUMNS, BlockSink } from "./block_sink.ts";
import { type Counts, zeroCounts } from "./counts.ts";
import {
  ColumnSink,
  COPY_COLUMNS,
  DNSTAP_COLUMNS,
  type DnstapRow,
  type RowExtras,
} from "./row_sink.ts";

/** One query-errors (or response) line bound for dns_query_errors. */
export interface ErrorRow {
  loggedAt: number;
  kind: "failed" | "ratelimit" | "response";
  clientIp: string;
  clientPort: number | null;
  domain: string | null;
  qclass: string | null;
  qtype: string | null;
  view: string | null;
  reason: string | null;
  rcode: string | null;
  byteOffset: number;
}

/** A rejected-line sample bound for ingest_rejects. */
export interface RejectSample {
  reason: string;
  byteOffset: number;
  length: number;
  sample: Uint8Array;
}

/** The rcode a query-errors reason means: REFUSED → REFUSED, everything else SERVFAIL. */
export function rcodeOfReason(reason: string): string {
  return reason === "REFUSED" ? "REFUSED" : "SERVFAIL";
}

/** Formats epoch ms as ISO-8601 UTC with ms; the date part is cached per second. */
export class TimeFormatter {
  #sec = NaN;
  #prefix = "";
  format(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.#sec) {
      this.#sec = sec;
      this.#prefix = new Date(sec * 1000).toISOString().slice(0, 20);
    }
    const r = ms - sec * 1000;
    return this.#prefix + (r < 10 ? "00" : r < 100 ? "0" : "") + r + "Z";
  }
}

/** The stretch of one file a batch covers. */
export interface BatchSource {
  path: string;
  fingerprint: string;
  startOffset: number;
}

/** What a commit needs of a batch. */
export interface BatchData {
  source: BatchSource;
  endOffset: number;
  counts: Counts;
  errors: ErrorRow[];
  rejects: RejectSample[];
  /** Wall-clock day numbers of the rows (their partitions must exist). */
  days: Iterable<number>;
  minAt: number;
  maxAt: number;
  lastLineAt: number | null;
  /** The query rows: binary COPY data, or one text array per column. */
  rows: { blocks: Uint8Array[] } | { columns: (string | null)[][] };
  /** The dns_queries columns the rows hold, in order. */
  rowColumns: readonly string[];
  /** dnstap queries still waiting for their response, and what to settle (see commit.ts). */
  dnstap?: DnstapPending;
  /** Set by the commit: rows its source's settle step added beyond the batch's own. */
  settledRows?: number;
}

/** The dnstap part of a batch: the joins a commit finishes in the database. */
export interface DnstapPending {
  /** Queries of this batch without a response yet: key and row values (DNSTAP_COLUMNS). */
  waiting: { key: string; atUs: number; values: (string | null)[] }[];
  /** Keys of this batch's responses whose query an earlier batch left waiting. */
  answered: string[];
  /** Waiting queries received before this instant never got a response: they become rows. */
  expireBefore: Date;
  /** Set by the commit: rows added from expired waiting queries. */
  expiredRows?: number;
}

/**
 * A batch's content as a message between threads (lib/ingest/parse_worker.ts): its COPY data
 * (buffers transferred with {@linkcode batchTransfer}) and everything a commit reads of it.
 */
export interface BatchMessage {
  endOffset: number;
  counts: Counts;
  errors: ErrorRow[];
  rejects: RejectSample[];
  days: number[];
  minAt: number;
  maxAt: number;
  lastLineAt: number | null;
  blocks: Uint8Array[];
}

/** The buffers of `m`'s COPY data, each once: what to transfer with it. */
export function batchTransfer(m: BatchMessage): ArrayBuffer[] {
  return [...new Set(m.blocks.map((b) => b.buffer as ArrayBuffer))];
}

/** COPY data made on another thread: handed out as it came; `onRelease` takes it back. */
class PackedRows {
  constructor(
    readonly data: Uint8Array[],
    readonly onRelease: ((data: Uint8Array[]) => void) | undefined,
  ) {}
  blocks(): Uint8Array[] {
    return this.data;
  }
  release(): void {
    this.onRelease?.(this.data);
  }
}

/** Accumulates one batch. */
export class Batch {
  readonly source: BatchSource;
  endOffset: number;
  readonly counts: Counts = zeroCounts();
  readonly errors: ErrorRow[] = [];
  readonly rejects: RejectSample[] = [];
  /** Wall-clock day numbers of the rows (their partitions must exist). */
  readonly days = new Set<number>();
  minAt = Infinity;
  maxAt = -Infinity;
  lastLineAt: number | null = null;
  /**
   * The rows: binary COPY data (PostgreSQL) or column arrays (the embedded database); COPY
   * data made on the parsing thread once {@linkcode adopt}ed.
   */
  sink: BinaryCopySink | ColumnSink | BlockSink | PackedRows;
  /** The dns_queries columns of the rows. */
  readonly rowColumns: readonly string[];
  /** Set for a batch of dnstap frames. */
  dnstap?: DnstapPending;
  /** Set by the commit: rows its source's settle step added beyond the batch's own. */
  settledRows = 0;

  constructor(
    source: BatchSource,
    options: { format?: "binary" | "columns" | "blocks"; dnstap?: boolean } = {},
  ) {
    this.source = source;
    this.endOffset = source.startOffset;
    const blocks = options.format === "blocks" && !options.dnstap;
    this.rowColumns = blocks ? BLOCK_COLUMNS : options.dnstap ? DNSTAP_COLUMNS : COPY_COLUMNS;
    this.sink = blocks
      ? new BlockSink()
      : options.format === "columns"
      ? new ColumnSink(this.rowColumns.length)
      : new BinaryCopySink();
  }

  /** Add a dnstap row; `wallDay` is its day in the zone of the partitions. */
  addDnstapRow(row: DnstapRow, wallDay: number): void {
    (this.sink as BinaryCopySink | ColumnSink).addDnstap(row);
    this.counts.rows++;
    this.#track(Math.floor(row.atUs / 1000), wallDay);
  }

  #lastDay = NaN;

  #track(at: number, wallDay: number): void {
    if (at < this.minAt) this.minAt = at;
    if (at > this.maxAt) this.maxAt = at;
    this.lastLineAt = at;
    if (wallDay !== this.#lastDay) {
      this.days.add(wallDay);
      this.#lastDay = wallDay;
    }
  }

  /** Add a query row; false (and nothing added) when an address is unusable. */
  addQuery(q: QueryLine, wallDay: number, extras: RowExtras): boolean {
    if (!(this.sink as BinaryCopySink | ColumnSink | BlockSink).add(q, extras, wallDay)) {
      return false;
    }
    this.counts.rows++;
    this.#track(extras.at, wallDay);
    return true;
  }

  /** The query rows for commit (see {@linkcode BatchData}). */
  get rows(): BatchData["rows"] {
    return this.sink instanceof ColumnSink
      ? { columns: this.sink.columns }
      : { blocks: this.sink.blocks() };
  }

  /**
   * The batch as a message to another thread (see {@linkcode BatchMessage}); the batch is
   * not used after it (its COPY buffers go with the message).
   */
  toMessage(): BatchMessage {
    return {
      endOffset: this.endOffset,
      counts: this.counts,
      errors: this.errors,
      rejects: this.rejects,
      days: [...this.days],
      minAt: this.minAt,
      maxAt: this.maxAt,
      lastLineAt: this.lastLineAt,
      blocks: this.counts.rows > 0 ? (this.sink as BlockSink).blocks() : [],
    };
  }

  /**
   * Take the content of a batch read on another thread (this one is fresh, of the same file
   * and start). `onRelease` gets its COPY data back once committed.
   */
  adopt(m: BatchMessage, onRelease?: (data: Uint8Array[]) => void): void {
    this.endOffset = m.endOffset;
    Object.assign(this.counts, m.counts);
    for (const e of m.errors) this.errors.push(e);
    for (const r of m.rejects) this.rejects.push(r);
    for (const d of m.days) this.days.add(d);
    this.minAt = m.minAt;
    this.maxAt = m.maxAt;
    this.lastLineAt = m.lastLineAt;
    this.sink = new PackedRows(m.blocks, onRelease);
  }

  /** The batch has committed: its COPY blocks may be reused (see BinaryCopySink.release). */
  release(): void {
    if (!(this.sink instanceof ColumnSink)) this.sink.release();
  }

  /** Add a row of the fast path (binary batches only). */
  addFastQuery(row: FastRow, at: number, wallDay: number): void {
    (this.sink as BinaryCopySink | BlockSink).addFast(row, wallDay);
    this.counts.rows++;
    this.#track(at, wallDay);
  }

  /**
   * Add a query-errors, rate-limit or response line; false when its address is unusable.
   * Its day gets a partition too: the rollup reads an orphan line's day only where the day's
   * raw partition exists.
   */
  addError(
    e: ErrorLine | RateLimitLine | ResponseLine,
    at: number,
    wallDay: number,
    domain: string | null,
    byteOffset: number,
  ): boolean {
    if (!isIpAddress(e.clientIp)) return false;
    this.errors.push({
      loggedAt: at,
      kind: e.kind === "error" ? "failed" : e.kind,
      clientIp: e.clientIp,
      clientPort: e.clientPort,
      domain,
      qclass: e.qclass,
      qtype: e.qtype,
      view: e.view,
      reason: e.kind === "response" ? null : e.reason,
      rcode: e.kind === "error" ? rcodeOfReason(e.reason) : e.kind === "response" ? e.rcode : null,
      byteOffset,
    });
    this.counts.errorLines++;
    this.lastLineAt = at;
    this.days.add(wallDay);
    return true;
  }

  /** Count a rejected line; keep its sample when `keepSample`. */
  addReject(r: RejectSample, keepSample: boolean): void {
    this.counts.rejected++;
    this.counts.reasons[r.reason] = (this.counts.reasons[r.reason] ?? 0) + 1;
    if (keepSample) this.rejects.push(r);
  }

  /** True when there is nothing to write but the checkpoint. */
  get empty(): boolean {
    return this.counts.rows === 0 && this.errors.length === 0 && this.rejects.length === 0;
  }
}
