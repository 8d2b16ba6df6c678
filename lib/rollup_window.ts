/**
 * One rollup window (a node's day) computed in one pass: its rows are read once, sorted by
 * apex and domain (lib/rollup/window_source.ts), every statistics table is counted from that
 * stream (lib/rollup/window_aggregator.ts), and the results are written while it is read
 * (COPY on PostgreSQL, `json_populate_recordset` on the embedded database).
 *
 * @module
 */
import { poolSize, type Sql, type Tx } from "./db/connect.ts";
import { WindowAggregator, type WindowSpec } from "./rollup/window_aggregator.ts";
import { readWindowByCopy, readWindowByCursor } from "./rollup/window_source.ts";

export type { WindowSpec } from "./rollup/window_aggregator.ts";

/**
 * Compute and write every statistics table of one window. The caller deleted the window's
 * old rows and holds the window's lock; `sql` is the pool `tx` came from (PostgreSQL reads
 * the rows on another of its connections). Returns the rows (raw queries and orphan lines)
 * counted.
 */
export async function aggregateWindow(sql: Sql, tx: Tx, w: WindowSpec): Promise<number> {
  const make = (
    clients: ConstructorParameters<typeof WindowAggregator>[1],
    sink: ConstructorParameters<typeof WindowAggregator>[2],
  ) => new WindowAggregator(w, clients, sink);
  // Reading on a second connection needs a pool of two or more.
  const agg = w.copy && poolSize(sql) >= 2
    ? await readWindowByCopy(sql, tx, w, make)
    : await readWindowByCursor(tx, w, make);
  if (agg.rows === 0) return 0;
  for (const write of agg.finish()) await write(tx);
  return agg.rows;
}
