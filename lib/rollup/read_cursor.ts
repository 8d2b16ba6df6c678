/**
 * Reading a rollup window's rows on the embedded database, which has one connection and no
 * COPY TO STDOUT: a cursor in the window's own transaction, sorted by apex and domain as
 * PostgreSQL's COPY is (lib/rollup/read_copy.ts), counted into a WindowAggregator whose full
 * batches are written on the same transaction between fetches.
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import { WindowAggregator, type WindowSpec } from "./count_window.ts";
import { clientsInHashOrder, readClientsByQuery } from "./read_clients.ts";
import { BATCH_ROWS, type BatchWriter } from "./write_batches.ts";
import { CellSink } from "./write_stream.ts";

/** Rows per fetch of the cursor (window_fetch.sql says the same). */
const FETCH_ROWS = 20_000;

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
  const { clients, index } = clientsInHashOrder(await readClientsByQuery(tx, w));
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
