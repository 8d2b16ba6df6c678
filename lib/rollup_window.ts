/**
 * One rollup window (a node's day) computed in one pass: its rows are read once, sorted by
 * apex and domain (lib/rollup/window_source.ts), every statistics table is counted from that
 * stream (lib/rollup/window_aggregator.ts), and the results are written while it is read
 * (COPY on PostgreSQL, from a reading thread: lib/rollup/window_reader.ts;
 * `json_populate_recordset` on the embedded database).
 *
 * @module
 */
import type { Tx } from "./db/connect.ts";
import type { WindowSpec } from "./rollup/window_aggregator.ts";
import { BatchWriter, readWindowByCursor } from "./rollup/window_source.ts";
import type { WindowReader } from "./rollup/window_reader.ts";

export type { WindowSpec } from "./rollup/window_aggregator.ts";
export { WindowReader } from "./rollup/window_reader.ts";

/**
 * Compute and write every statistics table of one window. The caller deleted the window's
 * old rows and holds the window's lock; `reader` reads PostgreSQL windows (`w.copy`). Returns
 * the rows (raw queries and orphan lines) counted.
 */
export async function aggregateWindow(
  tx: Tx,
  w: WindowSpec,
  reader: WindowReader | null,
): Promise<number> {
  if (w.copy && reader) return await reader.read(tx, w);
  const writer = new BatchWriter(tx);
  const agg = await readWindowByCursor(tx, writer, w);
  if (agg.rows > 0) await writer.push(agg.finish());
  return agg.rows;
}
