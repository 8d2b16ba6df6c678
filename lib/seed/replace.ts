/**
 * A complete read of BIND's logs replaces the seed's rows: each batch of rows read from a
 * query log deletes, in its own transaction, the node's seed rows (origin 'seed') inside the
 * batch's span. The log is in time order and the seed cut timestamps to the second, so the
 * batches of a file together cover every seed row of that file's span; rows outside the
 * span (older logs long deleted) stay, marked as the seed's.
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";
import { PREPARED } from "../db/pipeline.ts";
import replaceRows from "../../sql/seed/replace_rows.sql" with { type: "text" };

/**
 * The statement (not sent yet) deleting the seed rows of `nodeId` in [first second of
 * `fromMs`, `toMs`] (its one row: how many); null when the span is empty.
 */
export function replaceSeedRowsStatement(
  tx: Tx,
  nodeId: number,
  span: { fromMs: number; toMs: number },
) {
  if (!Number.isFinite(span.fromMs) || !Number.isFinite(span.toMs)) return null;
  return tx.unsafe<{ n: string }[]>(replaceRows, [
    nodeId,
    new Date(span.fromMs),
    new Date(span.toMs),
  ], PREPARED);
}
