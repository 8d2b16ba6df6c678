/**
 * One rollup window (a node's day) computed in one pass, read → count → write: its rows are
 * read once, sorted by apex and domain (`read_*.ts`: by binary COPY on PostgreSQL, on a
 * reading thread, or a cursor on the embedded database), every statistics table is counted
 * from that stream (`count_*.ts`), and the results are written while it is read
 * (`write_*.ts`: COPY on PostgreSQL, `json_populate_recordset` on the embedded database).
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";
import type { WindowSpec } from "./count_window.ts";
import { readWindowByCursor } from "./read_cursor.ts";
import type { WindowReader } from "./read_thread.ts";
import { BatchWriter } from "./write_batches.ts";

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
