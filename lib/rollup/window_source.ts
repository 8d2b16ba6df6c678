/**
 * Where a rollup window's rows come from, fed to a {@linkcode WindowAggregator}.
 *
 * On PostgreSQL a reading session of its own (two connections, opened for the window and
 * closed after it; lib/rollup/window_reader.ts runs it on a worker thread) reads them in one
 * REPEATABLE READ snapshot as binary COPY: the clients and their hashes on one connection
 * while the other sorts the rows by apex and domain. A row's apex and domain are compared as
 * bytes with the previous row's and decoded only when they change, so most rows cost a few
 * integer reads. Batches of statistics rows are handed to `emit` as they fill, and the
 * window's transaction writes them while rows keep coming. The snapshot is taken after the
 * window's transaction read its rollup marks, so a row committed later keeps its mark and is
 * counted by the next rollup.
 *
 * The embedded database has one connection and no COPY TO STDOUT: it reads a cursor in the
 * window's own transaction.
 *
 * @module
 */
import postgres from "postgres";
import type { Sql, Tx } from "../db/connect.ts";
import { NO_DELAY_OPTIONS } from "../db/socket.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import { type PendingWrite, writePending } from "./pending_write.ts";
import { CopyTap } from "./copy_tap.ts";
import { WindowAggregator, type WindowClients, type WindowSpec } from "./window_aggregator.ts";
import { BinarySink, CellSink } from "./stream_sink.ts";
import { BinaryCopyReader, int32, PG_EPOCH_US, uint32 } from "./binary_copy.ts";

/**
 * Statistics rows per batch handed to the writer, unless the window says otherwise: each
 * batch costs a COPY per table, so fewer, larger batches keep the writer busier.
 */
export const BATCH_ROWS = 80_000;
/** Batches of rows handed to the writer and not yet written before counting waits. */
export const MAX_QUEUED = 3;
/** Rows per fetch of the embedded path's cursor (window_fetch.sql says the same). */
const FETCH_ROWS = 20_000;

/** `sqlText` with $1 (node id), $2 and $3 (the window's bounds) written in as literals. */
function inlineWindow(sqlText: string, w: WindowSpec): string {
  if (!Number.isSafeInteger(w.nodeId)) throw new RangeError("node id must be an integer");
  return sqlText
    .replaceAll(/\$1\b/g, String(w.nodeId))
    .replaceAll(/\$2\b/g, `'${w.lo.toISOString()}'::timestamptz`)
    .replaceAll(/\$3\b/g, `'${w.hi.toISOString()}'::timestamptz`);
}

/** A client's key from the bytes of a binary inet value (IPv4 hosts as a number). */
function inetKey(b: Uint8Array, at: number, len: number): number | string {
  if (len === 8 && b[at + 1] === 32 && b[at + 2] === 0) {
    return ((b[at + 4] << 24) >>> 0) + (b[at + 5] << 16) + (b[at + 6] << 8) + b[at + 7];
  }
  let k = "";
  for (let i = 0; i < len; i++) k += b[at + i].toString(16).padStart(2, "0");
  return k;
}

/** The text form of a binary inet value, as PostgreSQL reads it back. */
function inetText(b: Uint8Array, at: number): string {
  const bits = b[at + 1], nb = b[at + 3];
  let text: string;
  if (nb === 4) text = `${b[at + 4]}.${b[at + 5]}.${b[at + 6]}.${b[at + 7]}`;
  else {
    const groups: string[] = [];
    for (let i = 0; i < nb; i += 2) {
      groups.push(((b[at + 4 + i] << 8) | b[at + 5 + i]).toString(16));
    }
    text = groups.join(":");
  }
  return bits === nb * 8 ? text : `${text}/${bits}`;
}

/** Run binary `copy … to stdout` on `conn`; `onChunk` sees each chunk, may pause via its promise. */
async function copyOut(
  conn: Sql,
  text: string,
  onChunk: (chunk: Uint8Array) => Promise<void> | void,
): Promise<void> {
  const stream = await conn.unsafe(text).readable();
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Uint8Array) => {
      const wait = onChunk(chunk);
      if (wait) {
        stream.pause();
        wait.then(() => stream.resume(), (e) => stream.destroy(e));
      }
    });
    stream.once("end", resolve);
    stream.once("error", reject);
    stream.once("close", () => resolve());
  });
}

/** The clients of a window in hash order, with the key of each client. */
function clientsInHashOrder(
  list: ClientRow[],
): { clients: WindowClients; index: Map<number | string, number> } {
  list.sort((a, b) => a.hi - b.hi || a.lo - b.lo);
  const index = new Map<number | string, number>();
  list.forEach((c, i) => index.set(c.key, i));
  return {
    clients: { hashes: list.map((c) => c.hash), ips: list.map((c) => c.ip) },
    index,
  };
}

/** A client of a window as read: its key, hash (high and low 32 bits, and as text), address. */
interface ClientRow {
  key: number | string;
  hi: number;
  lo: number;
  hash: string;
  ip: string;
}

/** The clients of a window with their hashes, by binary COPY on `conn`. */
async function readClients(conn: Sql, w: WindowSpec): Promise<ClientRow[]> {
  const found: ClientRow[] = [];
  const clientReader = new BinaryCopyReader((b, at) => {
    const len = int32(b, at);
    const hashAt = at + 4 + len + 4;
    const hi = int32(b, hashAt), lo = uint32(b, hashAt + 4);
    const hash = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo)).toString();
    found.push({ key: inetKey(b, at + 4, len), hi, lo, hash, ip: inetText(b, at + 4) });
  });
  await copyOut(conn, inlineWindow(ROLLUP_SQL.windowClientsCopy, w), (c) => clientReader.push(c));
  return found;
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

/**
 * Hands batches of rows to `emit`; its promise, when it returns one, pauses the reading
 * until the batch is taken. See {@linkcode readWindowByCopy}.
 */
export type Emit = (writes: PendingWrite[]) => Promise<void> | void;

/**
 * Read a window from PostgreSQL by binary COPY on the reading session `reader` (see
 * {@linkcode openReader}), counting into a {@linkcode WindowAggregator} and handing
 * its rows to `emit` as they fill. The caller ends `reader` afterwards without using it again:
 * postgres.js pauses a connection whose COPY stream is paused with a full buffer and resumes
 * it only when the stream reads again, so a COPY that ends while paused leaves the connection
 * deaf. The session only read, so ending it is all the cleanup there is.
 */
export async function readWindowByCopy(
  session: ReaderSession,
  w: WindowSpec,
  emit: Emit,
): Promise<WindowAggregator> {
  // The clients are read on the second connection, in the first one's snapshot, while the
  // first one sorts the day.
  const conn = await session.rows.reserve();
  const side = await session.side.reserve();
  await conn.unsafe("begin isolation level repeatable read, read only");
  await conn.unsafe("set local jit = off");
  await conn.unsafe("set local work_mem = '64MB'");
  // One parallel worker beside the leader sorts the day: measured on 2 cores, 5.2 s against
  // 5.8 s with two, and the writer and the counting thread keep more of the CPU.
  await conn.unsafe("set local max_parallel_workers_per_gather = 1");
  const [{ snapshot }] = await conn.unsafe<{ snapshot: string }[]>(
    "select pg_export_snapshot() as snapshot",
  );
  await side.unsafe("begin isolation level repeatable read, read only");
  await side.unsafe(`set transaction snapshot '${snapshot.replace(/[^0-9A-Fa-f-]/g, "")}'`);
  const clientsRead = readClients(side as unknown as Sql, w);
  clientsRead.catch(() => {}); // awaited below
  let agg: WindowAggregator | null = null;
  let index = new Map<number | string, number>();
  const ready = clientsRead.then((found) => {
    const ordered = clientsInHashOrder(found);
    index = ordered.index;
    const hi = Int32Array.from(found, (c) => c.hi);
    const lo = Uint32Array.from(found, (c) => c.lo);
    agg = new WindowAggregator(w, ordered.clients, new BinarySink(w.nodeName, w.day, hi, lo));
  });
  ready.catch(() => {});
  const decoder = new TextDecoder();
  let apex: Uint8Array | null = null, apexNull = false;
  let domain: Uint8Array | null = null, domainNull = false;
  let first = true;
  const qtypes = new Map<number, number>();
  const same = (prev: Uint8Array | null, b: Uint8Array, at: number, len: number) => {
    if (prev === null || prev.length !== len) return false;
    for (let i = len - 1; i >= 0; i--) if (prev[i] !== b[at + i]) return false;
    return true;
  };
  const rows = new BinaryCopyReader((b, at) => {
    const a = agg!;
    // apex_domain, domain: compared as bytes with the previous row's.
    const aLen = int32(b, at);
    const aAt = at + 4;
    const dAt0 = aAt + (aLen > 0 ? aLen : 0);
    const dLen = int32(b, dAt0);
    const dAt = dAt0 + 4;
    const qAt0 = dAt + (dLen > 0 ? dLen : 0);
    const sameApex = aLen < 0 ? apexNull : !apexNull && same(apex, b, aAt, aLen);
    const sameDomain = dLen < 0 ? domainNull : !domainNull && same(domain, b, dAt, dLen);
    if (first || !sameApex || !sameDomain) {
      first = false;
      apexNull = aLen < 0;
      apex = aLen < 0 ? null : b.slice(aAt, aAt + aLen);
      domainNull = dLen < 0;
      domain = dLen < 0 ? null : b.slice(dAt, dAt + dLen);
      a.startDomain(
        apex === null ? null : decoder.decode(apex),
        domain === null ? null : decoder.decode(domain),
      );
    }
    // qtype: short names keyed by their bytes, longer ones by their text.
    const qLen = int32(b, qAt0);
    const qAt = qAt0 + 4;
    let qi: number;
    if (qLen < 0) qi = a.qtypeIndex(null);
    else if (qLen <= 6) {
      let k = 0;
      for (let i = 0; i < qLen; i++) k = k * 256 + b[qAt + i];
      k = k * 8 + qLen;
      let got = qtypes.get(k);
      if (got === undefined) {
        got = a.qtypeIndex(decoder.decode(b.subarray(qAt, qAt + qLen)));
        qtypes.set(k, got);
      }
      qi = got;
    } else qi = a.qtypeIndex(decoder.decode(b.subarray(qAt, qAt + qLen)));
    const cAt0 = qAt + (qLen > 0 ? qLen : 0);
    const cLen = int32(b, cAt0);
    const key = inetKey(b, cAt0 + 4, cLen);
    const c = index.get(key);
    if (c === undefined) throw new Error("rollup: a client of the window was not in its list");
    const tAt = cAt0 + 4 + cLen + 4;
    const us = int32(b, tAt) * 4294967296 + uint32(b, tAt + 4) + PG_EPOCH_US;
    const rc = ((b[tAt + 12] << 8) | b[tAt + 13]) << 16 >> 16;
    const lLen = int32(b, tAt + 14);
    const lat = lLen < 0 ? -1 : int32(b, tAt + 18);
    a.add(qi, c, us, rc, lat);
  });
  const batchRows = w.batchRows ?? BATCH_ROWS;
  const count = (b: Uint8Array, from: number, to: number) => {
    rows.push(b, from, to);
    if (agg!.pending >= batchRows) return emit(agg!.sink.take());
  };
  const copyText = inlineWindow(ROLLUP_SQL.windowCopy, w);
  const tap = session.tap;
  if (!tap) {
    await copyOut(conn as unknown as Sql, copyText, (chunk) => {
      // The first rows wait for the clients (the stream pauses meanwhile).
      if (!agg) return ready.then(() => count(chunk, 0, chunk.length));
      return count(chunk, 0, chunk.length);
    });
  } else {
    // The rows come from the tap, inside the socket's data events: a failure there stops
    // the reading and fails the window; backpressure pauses the socket.
    let stopped = false;
    let rejectRead: (e: unknown) => void = () => {};
    const failedP = new Promise<never>((_, reject) => rejectRead = reject);
    failedP.catch(() => {});
    /** The window fails with `e`: no more rows are taken. */
    const stop = (e: unknown) => {
      if (stopped) return;
      stopped = true;
      tap.pause();
      rejectRead(e);
    };
    // The socket stays paused while any batch handed over waits to be taken: a chunk of
    // the socket holds many rows, so several can be waiting at once.
    let holds = 0;
    const hold = (wait: Promise<void>) => {
      if (holds++ === 0) tap.pause();
      wait.then(() => {
        if (--holds === 0 && !stopped) tap.resume();
      }, stop);
    };
    const take = (b: Uint8Array, from: number, to: number) => {
      if (stopped) return;
      try {
        const wait = count(b, from, to);
        if (wait) hold(wait);
      } catch (e) {
        stop(e);
      }
    };
    // Rows before the clients are known (the sort usually takes longer) wait for them.
    let held: Uint8Array[] | null = [];
    ready.then(() => {
      const early = held!;
      held = null;
      for (const b of early) take(b, 0, b.length);
    }, () => {});
    tap.sink = (b, from, to) => {
      if (stopped) return;
      if (!held) return take(b, from, to);
      if (held.length === 0) hold(ready);
      held.push(b.slice(from, to));
    };
    try {
      await Promise.race([copyOut(conn as unknown as Sql, copyText, () => {}), failedP]);
    } finally {
      tap.sink = null;
    }
  }
  await ready;
  if (!rows.done) throw new Error("rollup: the window's rows ended early");
  return agg!;
}

/**
 * Writes batches on the window's transaction, in order, each once the one before it is
 * written; a failed write fails every batch behind it.
 */
export class BatchWriter {
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  constructor(readonly tx: Tx) {}

  /** Batches handed over and not yet written. */
  get queued(): number {
    return this.#queued;
  }

  /** Queue `writes`; resolves once they are written. */
  push(writes: readonly PendingWrite[]): Promise<void> {
    this.#queued++;
    const next = this.#chain.then(async () => {
      for (const p of writes) await writePending(this.tx, p);
    }).finally(() => this.#queued--);
    this.#chain = next;
    return next;
  }

  /** An {@linkcode Emit} writing here: it pauses the reading while too many batches wait. */
  emitter(): Emit {
    return (writes) => {
      const done = this.push(writes);
      done.catch(() => {}); // the chain reports it
      if (this.#queued >= MAX_QUEUED) return done;
    };
  }

  /** Resolves when everything handed over is written; rejects with the first failure. */
  drain(): Promise<void> {
    return this.#chain;
  }
}

/**
 * Read a window through a cursor in its own transaction (the embedded database), writing
 * full batches with `writer` on the same transaction; the caller writes what `finish` leaves.
 */
export async function readWindowByCursor(
  tx: Tx,
  writer: BatchWriter,
  w: WindowSpec,
): Promise<WindowAggregator> {
  const params = [w.nodeId, w.lo, w.hi];
  const list = (await tx.unsafe<{ client: string; h: string }[]>(
    ROLLUP_SQL.windowClients,
    params,
  )).map((r) => {
    const v = BigInt.asUintN(64, BigInt(r.h));
    return {
      key: r.client,
      hi: Number(BigInt.asIntN(32, v >> 32n)),
      lo: Number(v & 0xffffffffn),
      hash: r.h,
      ip: r.client,
    };
  });
  const { clients, index } = clientsInHashOrder(list);
  const batchRows = w.batchRows ?? BATCH_ROWS;
  const agg = new WindowAggregator(
    w,
    clients,
    new CellSink(w.nodeName, w.day, clients.hashes, w.copy),
  );
  await tx.unsafe(ROLLUP_SQL.windowCursor, params);
  type Row = [string | null, string | null, string | null, string, string, number, number | null];
  const fetch = () =>
    tx.unsafe(ROLLUP_SQL.windowFetch).values().execute() as unknown as Promise<Row[]>;
  let apex: string | null = null, domain: string | null = null, first = true;
  let next: Promise<Row[]> | null = fetch();
  while (next) {
    const batch: Row[] = await next;
    // The database reads the next rows while these are counted.
    next = batch.length === FETCH_ROWS ? fetch() : null;
    for (const [a, d, q, client, at, rc, lat] of batch) {
      if (first || a !== apex || d !== domain) {
        first = false;
        apex = a;
        domain = d;
        agg.startDomain(a, d);
      }
      const c = index.get(client);
      if (c === undefined) throw new Error("rollup: a client of the window was not in its list");
      agg.add(agg.qtypeIndex(q), c, Number(at), rc, lat ?? -1);
    }
    if (agg.pending >= batchRows) await writer.push(agg.sink.take());
  }
  await tx.unsafe(ROLLUP_SQL.windowClose);
  return agg;
}
