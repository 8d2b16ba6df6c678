/**
 * Federation of named's server counters: a peer's (node, day) carries its counters along with
 * its statistics (lib/federation.ts pulls each changed day; the collector gives the day a new
 * version each minute it files). A peer without the table (an older dns-analytics) sends
 * none, and its statistics still come.
 *
 * @module
 */
import type { Tx } from "../db/connect.ts";
import { SERVER_STATS_SQL } from "./statements.ts";

/**
 * The server-counter tables a postgres_fdw route (`federate --setup-fdw`) reads beside the
 * statistics: the view `dns_server_counters_all` holds every node's minutes.
 */
export const SERVER_COUNTER_TABLES = ["dns_server_counters"] as const;

/** Whether the peer (in its read-only snapshot `p`) stores server counters. */
export async function peerHasServerCounters(p: Tx): Promise<boolean> {
  const [r] = await p.unsafe<{ present: boolean }[]>(SERVER_STATS_SQL.peerHasCounters);
  return r.present;
}

/**
 * Replace one node's counters of one day here (`tx`) with the peer's (`p`); returns the rows
 * copied. `present` false: only delete nothing and copy nothing.
 */
export async function copyServerCountersDay(
  tx: Tx,
  p: Tx,
  day: { node: string; start: Date; end: Date; present: boolean; chunkRows: number },
): Promise<number> {
  if (!day.present) return 0;
  await tx.unsafe(SERVER_STATS_SQL.federationDelete, [day.node, day.start, day.end]);
  let rows = 0;
  await p.unsafe<{ r: string }[]>(SERVER_STATS_SQL.federationRead, [
    day.node,
    day.start,
    day.end,
  ]).cursor(day.chunkRows, async (chunk) => {
    await tx.unsafe(SERVER_STATS_SQL.federationInsert, [`[${chunk.map((c) => c.r).join(",")}]`]);
    rows += chunk.length;
  });
  return rows;
}
