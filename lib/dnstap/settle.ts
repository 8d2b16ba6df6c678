/**
 * dnstap's settle step (see {@linkcode SettleStep}): the pairing of queries and responses a
 * batch leaves to the database. Responses answering queries an earlier batch left waiting
 * forget those, this batch's unanswered queries wait, and waiting queries old enough to
 * count as never answered become rows. Used by dnstap files and the dnstap socket alike.
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";
import { INGEST_SQL } from "../db/statements.ts";
import type { BatchData } from "../ingest/batch.ts";
import type { Settled, SettleStep } from "../ingest/commit.ts";
import { DNSTAP_ANSWER_WINDOW_MS } from "./rows.ts";

/** Settle a dnstap batch: see the module doc. */
export const settleDnstap: SettleStep = async (
  tx: Tx,
  batch: BatchData,
  nodeId: number,
): Promise<Settled> => {
  const d = batch.dnstap;
  if (!d) throw new Error("settleDnstap: not a dnstap batch");
  let from = batch.counts.rows > 0 ? batch.minAt : Infinity;
  let to = batch.counts.rows > 0 ? batch.maxAt : -Infinity;
  if (d.answered.length > 0) await tx.unsafe(INGEST_SQL.dnstapAnswered, [nodeId, d.answered]);
  if (d.waiting.length > 0) {
    const json = JSON.stringify(
      d.waiting.map((w) => ({ k: w.key, t: w.values[0], v: w.values })),
    );
    await tx.unsafe(INGEST_SQL.dnstapWait, [nodeId, json]);
  }
  const [r] = await tx.unsafe<{ n: number; first_at: Date | null; last_at: Date | null }[]>(
    INGEST_SQL.dnstapExpire,
    [nodeId, d.expireBefore],
  );
  d.expiredRows = r.n;
  if (r.n > 0) {
    from = Math.min(from, r.first_at!.getTime());
    to = Math.max(to, r.last_at!.getTime());
  }
  // The hours of the rows, and the minute before them (as the query log marks them).
  return {
    rows: r.n,
    dirty: from > to ? null : { from: from - DNSTAP_ANSWER_WINDOW_MS, to },
  };
};
