/**
 * The connections that read a PostgreSQL window (lib/rollup/read_copy.ts): a session of its
 * own, opened for the window with the pool's settings and closed after it, on the main thread
 * or the reading thread (lib/rollup/read_worker.ts), so its settings are plain data.
 *
 * @module
 */
import postgres from "postgres";
import type { Sql } from "../db/connect.ts";
import { CopyTap } from "../db/copy_tap.ts";
import { NO_DELAY_OPTIONS } from "../db/socket.ts";
import type { WindowSpec } from "./count_window.ts";

/**
 * `sqlText` with $1 (node id), $2 and $3 (the window's bounds) written in as literals: a
 * `copy (…) to stdout` takes no parameters.
 */
export function inlineWindow(sqlText: string, w: WindowSpec): string {
  if (!Number.isSafeInteger(w.nodeId)) throw new RangeError("node id must be an integer");
  return sqlText
    .replaceAll(/\$1\b/g, String(w.nodeId))
    .replaceAll(/\$2\b/g, `'${w.lo.toISOString()}'::timestamptz`)
    .replaceAll(/\$3\b/g, `'${w.hi.toISOString()}'::timestamptz`);
}

/**
 * The connection settings of the pool (postgres.js's parsed options), for a reading session
 * of its own; plain data unless the password or TLS settings are functions.
 */
export interface ReaderOptions {
  host: string[];
  port: number[];
  path: string | false;
  database: string;
  user: string;
  pass: unknown;
  ssl: unknown;
  connect_timeout: number;
  connection: Record<string, unknown>;
  target_session_attrs: unknown;
}

/** The reading session's settings, taken from the pool `sql`. */
export function readerOptions(sql: Sql): ReaderOptions {
  const o = (sql as unknown as { options: ReaderOptions }).options;
  return {
    host: o.host,
    port: o.port,
    path: o.path,
    database: o.database,
    user: o.user,
    pass: o.pass,
    ssl: o.ssl,
    connect_timeout: o.connect_timeout,
    connection: o.connection,
    target_session_attrs: o.target_session_attrs,
  };
}

/**
 * A reading session: one connection for the rows (its COPY data taken off the socket by a
 * {@linkcode CopyTap} when it has no TLS) and one for the clients, with the pool's settings.
 */
export interface ReaderSession {
  rows: Sql;
  side: Sql;
  tap: CopyTap | null;
  /** Close both connections (nothing to commit: the session only read). */
  end(): Promise<void>;
}

/** Open a {@linkcode ReaderSession} (connections are made by the first query). */
export function openReader(o: ReaderOptions): ReaderSession {
  const base = { ...o, max: 1, prepare: false, onnotice: () => {} };
  const plain = o.ssl === false || o.ssl === undefined || o.ssl === "disable";
  const tap = plain ? new CopyTap() : null;
  const client = (socket: unknown) =>
    postgres({ ...base, socket } as unknown as postgres.Options<Record<string, never>>);
  const rows = client(tap ? tap.socket : NO_DELAY_OPTIONS.socket);
  const side = client(NO_DELAY_OPTIONS.socket);
  return {
    rows,
    side,
    tap,
    async end() {
      await Promise.all([rows.end({ timeout: 0 }), side.end({ timeout: 0 })]);
    },
  };
}
