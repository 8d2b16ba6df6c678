/**
 * Packing closed days: the GIN indexes of a day partition of dns_query_blocks (its clients'
 * summaries; the apex hashes' too before migration 0038 dropped that index) grow, as blocks arrive a batch at a time, to several times the size a
 * rebuild gives. Once a day is over (and an hour more, for late lines and the rollup's merge of
 * small blocks) its blocks no longer change: each such partition's GIN indexes are rebuilt once
 * and the partition is recorded in dns_packed_partitions (migration 0032). On PostgreSQL the
 * rebuild is `REINDEX INDEX CONCURRENTLY` (searches and ingest go on); on the embedded database,
 * which has one connection, a plain REINDEX.
 *
 * @module
 */
import type { Sql } from "./db/connect.ts";
import { RETENTION_SQL } from "./db/statements.ts";

/** A closed day is packed this long after its partition ends. */
const SETTLE_MS = 60 * 60 * 1000;
/** How long a rebuild waits for the transactions before it, by default. */
const LOCK_TIMEOUT = "60s";

/** Options of {@linkcode packClosedDays}. */
export interface PackOptions {
  /** The database takes concurrent statements (false on the embedded database). */
  concurrent: boolean;
  now?: Date;
  signal?: AbortSignal;
  /** How long a rebuild may wait for older transactions (PostgreSQL interval; default 60s). */
  lockTimeout?: string;
  /** A partition left for the next run: its rebuild waited past the lock timeout. */
  onWait?: (partition: string) => void;
}

/** The blocks partition (dns_query_blocks_p…) of the day partition `name` (dns_queries_p…). */
const blocksOf = (name: string) => "dns_query_blocks_p" + name.slice("dns_queries_p".length);

/**
 * Rebuild the GIN indexes of every day partition of dns_query_blocks that ended over an hour
 * ago and is not packed yet; returns the partitions packed (dns_query_blocks_p…).
 */
export async function packClosedDays(sql: Sql, options: PackOptions): Promise<string[]> {
  const cut = (options.now ?? new Date()).getTime() - SETTLE_MS;
  const parts = await sql.unsafe<{ name: string; hi: Date }[]>(RETENTION_SQL.rawPartitions);
  const done = new Set(
    (await sql.unsafe<{ partition: string }[]>(RETENTION_SQL.packedPartitions))
      .map((r) => r.partition),
  );
  const packed: string[] = [];
  for (const p of parts) {
    if (options.signal?.aborted) break;
    const blocks = blocksOf(p.name);
    if (p.hi.getTime() > cut || done.has(blocks)) continue;
    const indexes = await sql.unsafe<{ name: string; valid: boolean }[]>(
      RETENTION_SQL.ginIndexes,
      [blocks],
    );
    // A concurrent rebuild waits for every transaction that may still use the old index; one
    // left open elsewhere (an idle session in a transaction) must not hold the job for good:
    // past the lock timeout this day waits for the next run.
    const conn = await sql.reserve();
    try {
      await conn.unsafe("select set_config('lock_timeout', $1, false)", [
        options.lockTimeout ?? LOCK_TIMEOUT,
      ]);
      for (const ix of indexes) {
        const name = conn(ix.name);
        // A rebuild cut short (stopped, timed out) leaves its new index invalid: drop it.
        if (!ix.valid && /_cc(new|old)[0-9]*$/.test(ix.name)) {
          await (options.concurrent
            ? conn`drop index concurrently ${name}`
            : conn`drop index ${name}`);
        } else {
          await (options.concurrent
            ? conn`reindex index concurrently ${name}`
            : conn`reindex index ${name}`);
        }
      }
    } catch (error) {
      if ((error as { code?: string }).code !== "55P03") throw error;
      options.onWait?.(blocks);
      continue;
    } finally {
      await conn.unsafe("reset lock_timeout").catch(() => {});
      conn.release();
    }
    await sql.unsafe(RETENTION_SQL.markPacked, [blocks]);
    packed.push(blocks);
  }
  return packed;
}

/** Forget that the partition of day partition `name` (dns_queries_p…) was packed. */
export async function unmarkPacked(sql: Sql, name: string): Promise<void> {
  await sql.unsafe(RETENTION_SQL.unmarkPacked, [blocksOf(name)]);
}
