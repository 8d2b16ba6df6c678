/**
 * The CSV export of the raw query search (`report queries --format csv`, `GET
 * /api/queries?format=csv`): every matching row, newest first, in constant memory.
 *
 * On PostgreSQL the server writes the CSV itself: `COPY (select …) TO STDOUT (format csv,
 * header)` (sql/search/query_csv.sql) on a connection of its own, its chunks passed on as
 * they come, the formula cells neutralised in SQL by `dnsa_csv_cell` (the rule of lib/csv.ts,
 * tested equal to it). The
 * embedded database (PGlite behind a socket) takes the other path: a server-side cursor whose
 * rows are written by lib/csv.ts. Both give the same bytes for the same rows.
 *
 * @example
 * ```ts
 * for await (const chunk of exportQueriesCsv(sql, filter, { limit: null, tz: "UTC", copy: true })) {
 *   await Deno.stdout.write(chunk);
 * }
 * ```
 * @module
 */
import postgres from "postgres";
import { copyOutChunks } from "../db/copy.ts";
import { NO_DELAY_OPTIONS } from "../db/socket.ts";
import { readerOptions } from "../rollup/read_session.ts";
import type { Sql } from "../db/connect.ts";
import { csvField } from "../csv.ts";
import type { QueryFilter } from "./filter.ts";
import { JIT_OFF, QUERY_COLUMNS, streamQueries } from "./query_search.ts";
import { csvCopyStatement, csvZoneStatement } from "./query_sql.ts";

/** Options of {@linkcode exportQueriesCsv}. */
export interface CsvExportOptions {
  /** At most this many rows; null = every row. */
  limit: number | null;
  /** DNSA_LOG_TZ: queried_at is written in it, with its offset. */
  tz: string;
  /** PostgreSQL writes the CSV (COPY); false on the embedded database. */
  copy: boolean;
  /** The line ending: `\n` (default, the command line) or `\r\n` (HTTP, as RFC 4180). */
  eol?: "\n" | "\r\n";
}

/** The CSV (header line first) of every row of `filter`, as encoded chunks. */
export function exportQueriesCsv(
  sql: Sql,
  filter: QueryFilter,
  options: CsvExportOptions,
): AsyncGenerator<Uint8Array> {
  const eol = options.eol ?? "\n";
  if (!options.copy) return csvByCursor(sql, filter, { ...options, eol });
  const chunks = csvByCopy(sql, filter, options);
  return eol === "\n" ? chunks : crlfLines(chunks);
}

/**
 * COPY on a connection of its own, with the pool's settings (a read-only pool stays read-only),
 * closed when the consumer stops: the pool's connections never carry a COPY.
 */
async function* csvByCopy(
  sql: Sql,
  filter: QueryFilter,
  options: { limit: number | null; tz: string },
): AsyncGenerator<Uint8Array> {
  const text = csvCopyStatement(filter, options);
  const conn = postgres({
    ...readerOptions(sql),
    max: 1,
    prepare: false,
    onnotice: () => {},
    ...NO_DELAY_OPTIONS,
  } as unknown as postgres.Options<Record<string, never>>) as unknown as Sql;
  try {
    await conn.unsafe(JIT_OFF);
    await conn.unsafe(csvZoneStatement(options.tz));
    yield* copyOutChunks(conn, text);
  } finally {
    await conn.end({ timeout: 0 });
  }
}

/** The rows through a server-side cursor, each cell by lib/csv.ts. */
async function* csvByCursor(
  sql: Sql,
  filter: QueryFilter,
  options: { limit: number | null; tz: string; eol: string },
): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  const { eol } = options;
  yield enc.encode(QUERY_COLUMNS.join(",") + eol);
  for await (const b of streamQueries(sql, filter, options)) {
    let text = "";
    for (const r of b) text += QUERY_COLUMNS.map((c) => csvField(r[c])).join(",") + eol;
    yield enc.encode(text);
  }
}

const LF = 0x0a, CR = 0x0d, QUOTE = 0x22;

/**
 * CSV chunks with `\n` line ends as chunks with `\r\n` line ends: a line feed inside a quoted
 * field is data and stays as it is (the quote state carries from chunk to chunk).
 */
export async function* crlfLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let quoted: boolean = false;
  for await (const chunk of chunks) {
    let ends = 0;
    let q: boolean = quoted;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) q = !q;
      else if (b === LF && !q) ends++;
    }
    if (ends === 0) {
      quoted = q;
      yield chunk;
      continue;
    }
    const out = new Uint8Array(chunk.length + ends);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === QUOTE) quoted = !quoted;
      else if (b === LF && !quoted) out[o++] = CR;
      out[o++] = b;
    }
    yield out;
  }
}
