/**
 * The clients of a window, numbered in the order of their hashes
 * (`hashinetextended(client_ip, 0)`) as the counting wants them (lib/rollup/count_window.ts):
 * read by binary COPY on PostgreSQL, by a query on the embedded database.
 *
 * @module
 */
import { BinaryCopyReader, inetKey, inetText, int32, uint32 } from "../db/binary_copy_read.ts";
import type { Sql, Tx } from "../db/connect.ts";
import { copyOut } from "../db/copy.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import type { WindowClients, WindowSpec } from "./count_window.ts";
import { inlineWindow } from "./read_session.ts";

/** A client of a window as read: its key, hash (high and low 32 bits, and as text), address. */
export interface ClientRow {
  /** The address as the rows give it: inetKey() of its bytes, or its text (embedded). */
  key: number | string;
  hi: number;
  lo: number;
  hash: string;
  ip: string;
}

/** The clients of a window in hash order, with the index of each client's key. */
export function clientsInHashOrder(
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

/** The clients of window `w` with their hashes, by binary COPY on `conn`. */
export async function readClientsByCopy(conn: Sql, w: WindowSpec): Promise<ClientRow[]> {
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

/** The clients of window `w` with their hashes, by a query on `tx` (keyed by their text). */
export async function readClientsByQuery(tx: Tx, w: WindowSpec): Promise<ClientRow[]> {
  const rows = await tx.unsafe<{ client: string; h: string }[]>(
    ROLLUP_SQL.windowClients,
    [w.nodeId, w.lo, w.hi],
  );
  return rows.map((r) => {
    const v = BigInt.asUintN(64, BigInt(r.h));
    return {
      key: r.client,
      hi: Number(BigInt.asIntN(32, v >> 32n)),
      lo: Number(v & 0xffffffffn),
      hash: r.h,
      ip: r.client,
    };
  });
}
