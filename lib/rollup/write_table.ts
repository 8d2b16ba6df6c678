/**
 * Rows bound for one statistics table, written in chunks: as cells ({@linkcode TableWriter}:
 * COPY text on PostgreSQL, `json_populate_recordset` on the embedded database, which has no
 * COPY FROM STDIN), or encoded as binary COPY as they come ({@linkcode BinaryTable}).
 *
 * @module
 */
import { BinaryCopyWriter } from "../db/binary_copy.ts";
import type { PendingWrite } from "./write_batches.ts";

/** One value of a row, as COPY text takes it; null is NULL. */
export type Cell = string | null;

const encoder = new TextEncoder();
/** Columns that hold names from the wire; only these may need COPY escapes. */
const FREE_TEXT = new Set(["domain", "apex_domain", "qtype", "node_name", "client_ip"]);
const SPECIAL = /[\\\t\n\r]/;

function escapeCell(v: Cell): string {
  if (v === null) return "\\N";
  if (!SPECIAL.test(v)) return v;
  return v.replace(
    /[\\\t\n\r]/g,
    (c) => c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/** Rows of one table waiting to be written. */
export class TableWriter {
  #rows: Cell[][] = [];
  /** Columns whose values may hold any character (names); the others are numbers, times. */
  readonly #free: boolean[];
  constructor(
    readonly table: string,
    readonly columns: readonly string[],
    readonly copy: boolean,
  ) {
    this.#free = columns.map((c) => FREE_TEXT.has(c));
  }

  push(row: Cell[]): void {
    this.#rows.push(row);
  }

  get size(): number {
    return this.#rows.length;
  }

  /**
   * Take the rows held so far, encoded now (null when there are none); the writer is empty
   * (and usable) at once.
   */
  take(): PendingWrite | null {
    const rows = this.#rows;
    if (rows.length === 0) return null;
    const base = { table: this.table, columns: this.columns, rows: rows.length };
    this.#rows = [];
    if (this.copy) {
      const width = this.columns.length;
      let text = "";
      for (const r of rows) {
        for (let i = 0; i < width; i++) {
          const v = r[i];
          text += (i === 0 ? "" : "\t") + (v === null ? "\\N" : this.#free[i] ? escapeCell(v) : v);
        }
        text += "\n";
      }
      return { ...base, format: "text", data: encoder.encode(text) };
    }
    const objects = rows.map((r) => Object.fromEntries(this.columns.map((c, i) => [c, r[i]])));
    return { ...base, format: "json", data: JSON.stringify(objects) };
  }
}

/**
 * One table's rows as binary COPY data, written field by field through {@linkcode writer}
 * (each row begun with {@linkcode BinaryCopyWriter.fields}).
 */
export class BinaryTable {
  /** Where the rows are encoded; one buffer that grows, handed out whole by take(). */
  readonly writer = new BinaryCopyWriter({ grow: true });

  constructor(readonly table: string, readonly columns: readonly string[]) {}

  /** Rows held. */
  get rows(): number {
    return this.writer.rows;
  }

  /** The rows so far with the trailer (null when there are none); the table is empty at once. */
  take(): PendingWrite | null {
    const rows = this.writer.rows;
    if (rows === 0) return null;
    const data = this.writer.take();
    return { table: this.table, columns: this.columns, rows, format: "binary", data };
  }
}

const US_PER_DAY = 86_400_000_000;
const dayCache = new Map<number, string>();

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** Epoch microseconds as an ISO timestamp in UTC with six decimals (`…T12:00:00.000001Z`). */
export function isoMicros(us: number): string {
  const day = Math.floor(us / US_PER_DAY);
  let date = dayCache.get(day);
  if (date === undefined) {
    date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dayCache.size > 4096) dayCache.clear();
    dayCache.set(day, date);
  }
  let rest = us - day * US_PER_DAY;
  const micros = rest % 1_000_000;
  rest = (rest - micros) / 1_000_000;
  const s = rest % 60;
  rest = (rest - s) / 60;
  const m = rest % 60;
  const h = (rest - m) / 60;
  return `${date}T${two(h)}:${two(m)}:${two(s)}.${String(micros).padStart(6, "0")}Z`;
}
