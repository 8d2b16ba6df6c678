/**
 * Rows taken from a statistics table and not yet written, as plain data: COPY data on
 * PostgreSQL, JSON rows on the embedded database. Being data, not a closure, a batch can be
 * built on the rollup's reading thread (lib/rollup/window_worker.ts) and written on the
 * window's transaction by the main thread.
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";
import { copyIn } from "../db/copy.ts";

/** One table's rows, ready to write. */
export type PendingWrite =
  & { table: string; columns: readonly string[]; rows: number }
  & (
    | { format: "binary" | "text"; data: Uint8Array }
    | { format: "json"; data: string }
  );

/** Write `p` on `tx`: COPY FROM STDIN, or `json_populate_recordset` for JSON rows. */
export async function writePending(tx: Tx, p: PendingWrite): Promise<void> {
  if (p.format !== "json") {
    await copyIn(tx, p.table, p.columns, [p.data], p.format);
    return;
  }
  const columns = p.columns.join(", ");
  await tx.unsafe(
    `insert into ${p.table} (${columns}) select ${columns} ` +
      `from json_populate_recordset(null::${p.table}, $1::text::json)`,
    [p.data],
  );
}

/** The buffers of `writes`, to transfer with them to another thread. */
export function transferList(writes: readonly PendingWrite[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const p of writes) {
    if (p.format !== "json" && p.data.buffer instanceof ArrayBuffer) out.push(p.data.buffer);
  }
  return out;
}
