/**
 * Reading a rollup window's rows from PostgreSQL, fed to a {@linkcode WindowAggregator}.
 *
 * A reading session of its own (two connections, opened for the window and closed after it:
 * lib/rollup/read_session.ts; lib/rollup/read_thread.ts runs it on a worker thread) reads them in one
 * REPEATABLE READ snapshot as binary COPY: the clients and their hashes on one connection
 * while the other sorts the rows by apex and domain. A row's apex and domain are compared as
 * bytes with the previous row's and decoded only when they change, so most rows cost a few
 * integer reads. Batches of statistics rows are handed to `emit` as they fill, and the
 * window's transaction writes them while rows keep coming. The snapshot is taken after the
 * window's transaction read its rollup marks, so a row committed later keeps its mark and is
 * counted by the next rollup.
 *
 * The embedded database reads a cursor instead (lib/rollup/read_cursor.ts).
 *
 * @module
 */
import { BinaryCopyReader, inetKey, int32, readTime } from "../db/binary_copy_read.ts";
import type { Sql } from "../db/connect.ts";
import { copyOut } from "../db/copy.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import { WindowAggregator, type WindowSpec } from "./count_window.ts";
import { clientsInHashOrder, readClientsByCopy } from "./read_clients.ts";
import { inlineWindow, type ReaderSession } from "./read_session.ts";
import { BATCH_ROWS, type Emit } from "./write_batches.ts";
import { BinarySink } from "./write_stream.ts";

/**
 * Read a window from PostgreSQL by binary COPY on the reading session `reader` (see
 * lib/rollup/read_session.ts), counting into a {@linkcode WindowAggregator} and handing
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
  const clientsRead = readClientsByCopy(side as unknown as Sql, w);
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
    const us = readTime(b, tAt);
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
