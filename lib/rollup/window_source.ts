/**
 * Where a rollup window's rows come from, fed to a {@linkcode WindowAggregator}.
 *
 * On PostgreSQL a second connection reads them in one REPEATABLE READ snapshot as binary
 * COPY: the clients and their hashes first, then the rows sorted by apex and domain. A row's
 * apex and domain are compared as bytes with the previous row's and decoded only when they
 * change, so most rows cost a few integer reads. The window's transaction meanwhile writes
 * the statistics, so reading, counting and writing overlap. The snapshot is taken after the
 * window's transaction read its rollup marks, so a row committed later keeps its mark and is
 * counted by the next rollup.
 *
 * The embedded database has one connection and no COPY TO STDOUT: it reads a cursor in the
 * window's own transaction.
 *
 * @module
 */
import { poolSize, type Sql, type Tx } from "../db/connect.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import type { WindowAggregator, WindowClients, WindowSpec } from "./window_aggregator.ts";
import { BinarySink, CellSink, type StreamSink } from "./stream_sink.ts";
import { BinaryCopyReader, int32, PG_EPOCH_US, uint32 } from "./binary_copy.ts";

/** Rows between flushes of the statistics being written. */
const FLUSH_ROWS = 20_000;
/** Batches of rows handed to the writer and not yet written before counting waits. */
const MAX_QUEUED = 3;
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

/**
 * Writes the aggregator's pending rows on `tx` while rows keep coming: the server takes one
 * batch while the next is counted; counting waits only when several batches are behind.
 */
class Flusher {
  #running: Promise<void> | null = null;
  #queued = 0;
  constructor(readonly tx: Tx, readonly agg: WindowAggregator) {}

  /** Hand the pending rows to the writer when enough wait; resolves when the caller must wait. */
  maybe(): Promise<void> | void {
    if (this.agg.pending < FLUSH_ROWS) return;
    // The rows leave the aggregator now (their COPY text is built here); the server writes
    // them in order behind the batches already queued.
    const writes = this.agg.sink.take();
    this.#queued++;
    const previous = this.#running ?? Promise.resolve();
    const next = previous.then(async () => {
      for (const write of writes) await write(this.tx);
    }).finally(() => this.#queued--);
    this.#running = next;
    next.catch(() => {});
    if (this.#queued >= MAX_QUEUED) return next;
  }

  /** Wait until everything handed over is written, then write what is left. */
  async drain(): Promise<void> {
    if (this.#running) await this.#running;
    for (const write of this.agg.sink.take()) await write(this.tx);
  }
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
 * Read a window from PostgreSQL by binary COPY on a connection of `sql` other than `tx`'s,
 * counting into the aggregator made by `makeAggregator` and writing on `tx`.
 */
export async function readWindowByCopy(
  sql: Sql,
  tx: Tx,
  w: WindowSpec,
  makeAggregator: (clients: WindowClients, sink: StreamSink) => WindowAggregator,
): Promise<WindowAggregator> {
  // The clients are read on a third connection in the reader's snapshot while the reader
  // sorts the day, when the pool has one to spare.
  const reader = await sql.reserve();
  const side = poolSize(sql) >= 3 ? await sql.reserve().catch(() => null) : null;
  try {
    await reader.unsafe("begin isolation level repeatable read, read only");
    await reader.unsafe("set local jit = off");
    await reader.unsafe("set local work_mem = '64MB'");
    let clientsRead: Promise<ClientRow[]>;
    if (side) {
      const [{ snapshot }] = await reader.unsafe<{ snapshot: string }[]>(
        "select pg_export_snapshot() as snapshot",
      );
      await side.unsafe("begin isolation level repeatable read, read only");
      await side.unsafe(`set transaction snapshot '${snapshot.replace(/[^0-9A-Fa-f-]/g, "")}'`);
      clientsRead = readClients(side as unknown as Sql, w).finally(() =>
        side.unsafe("commit").catch(() => {})
      );
    } else clientsRead = Promise.resolve(await readClients(reader as unknown as Sql, w));
    clientsRead.catch(() => {}); // awaited below
    let agg: WindowAggregator | null = null;
    let index = new Map<number | string, number>();
    let flusher: Flusher | null = null;
    const ready = clientsRead.then((found) => {
      const ordered = clientsInHashOrder(found);
      index = ordered.index;
      const hi = Int32Array.from(found, (c) => c.hi);
      const lo = Uint32Array.from(found, (c) => c.lo);
      agg = makeAggregator(ordered.clients, new BinarySink(w.nodeName, w.day, hi, lo));
      flusher = new Flusher(tx, agg);
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
    const count = (chunk: Uint8Array) => {
      rows.push(chunk);
      return flusher!.maybe();
    };
    await copyOut(reader as unknown as Sql, inlineWindow(ROLLUP_SQL.windowCopy, w), (chunk) => {
      // The first rows wait for the clients (the stream pauses meanwhile).
      if (!flusher) return ready.then(() => count(chunk));
      return count(chunk);
    });
    await ready;
    await reader.unsafe("commit");
    await flusher!.drain();
    return agg!;
  } catch (error) {
    await reader.unsafe("rollback").catch(() => {});
    if (side) await side.unsafe("rollback").catch(() => {});
    throw error;
  } finally {
    reader.release();
    side?.release();
  }
}

/** Read a window through a cursor in its own transaction (the embedded database). */
export async function readWindowByCursor(
  tx: Tx,
  w: WindowSpec,
  makeAggregator: (clients: WindowClients, sink: StreamSink) => WindowAggregator,
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
  const agg = makeAggregator(clients, new CellSink(w.nodeName, w.day, clients.hashes, w.copy));
  const flusher = new Flusher(tx, agg);
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
    if (agg.pending >= FLUSH_ROWS) await flusher.drain();
  }
  await tx.unsafe(ROLLUP_SQL.windowClose);
  await flusher.drain();
  return agg;
}
