/**
 * Retention: raw day partitions older than `DNSA_RETENTION_DAYS` are dropped whole (never a
 * long DELETE), after their pending rollups; query-errors lines and reject samples of those
 * days are deleted in bounded steps; statistics older than `DNSA_STATS_RETENTION_DAYS` are
 * deleted one day at a time; the partitions of today and the next two days are created
 * ahead. Days are in DNSA_LOG_TZ. "Older than N days": today and the N days before it are
 * kept.
 *
 * @module
 */
import type { Sql } from "./db/connect.ts";
import { INGEST_SQL, RETENTION_SQL } from "./db/statements.ts";
import { rollupStatistics } from "./rollup/rollup.ts";
import { createZoneClock, dayString } from "./time.ts";

const PARTITION_LOCK = 4_243_120_002; // the lock ingest takes to create partitions

/** Options of {@linkcode applyRetention}. */
export interface RetentionOptions {
  tz: string;
  /** The database takes COPY FROM STDIN (false on the embedded database). */
  copy?: boolean;
  retentionDays: number;
  statsRetentionDays: number;
  now?: Date;
  signal?: AbortSignal;
}

/** What {@linkcode applyRetention} did. */
export interface RetentionResult {
  /** Day partitions of dns_queries dropped, `YYYY-MM-DD`. */
  droppedDays: string[];
  /** Partitions created ahead, `YYYY-MM-DD`. */
  createdDays: string[];
  errorLinesDeleted: number;
  rejectsDeleted: number;
  /** Days whose statistics were deleted. */
  statsDaysDeleted: string[];
  /** Windows rolled up first because their raw rows were about to go. */
  rolledUp: number;
}

/** Today in `tz`, as a day number (days since 1970-01-01). */
function todayIn(tz: string, now: Date): number {
  return Math.floor(createZoneClock(tz).toWall(now.getTime()) / 86_400_000);
}

async function repeatDelete(sql: Sql, text: string, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await sql.unsafe(text, [cutoff]);
    total += r.count;
    if (r.count === 0) return total;
  }
}

/** Apply retention once. */
export async function applyRetention(
  sql: Sql,
  options: RetentionOptions,
): Promise<RetentionResult> {
  const today = todayIn(options.tz, options.now ?? new Date());
  const rawKeep = dayString(today - options.retentionDays);
  const statsKeep = dayString(today - options.statsRetentionDays);
  const result: RetentionResult = {
    droppedDays: [],
    createdDays: [],
    errorLinesDeleted: 0,
    rejectsDeleted: 0,
    statsDaysDeleted: [],
    rolledUp: 0,
  };
  const [rawCut] = await sql.unsafe<{ t: Date }[]>(
    "select ($1::date::timestamp at time zone $2::text) as t",
    [rawKeep, options.tz],
  );
  // Statistics first need every pending window whose raw rows are about to go. A partition
  // goes when it ends before the first kept day, whatever zone made it.
  const partitions = await sql.unsafe<{ name: string; day: string; lo: Date; hi: Date }[]>(
    RETENTION_SQL.rawPartitions,
  );
  const old = partitions.filter((p) => p.hi.getTime() <= rawCut.t.getTime());
  if (old.length > 0) {
    const r = await rollupStatistics(sql, {
      tz: options.tz,
      copy: options.copy,
      signal: options.signal,
    });
    result.rolledUp = r.windows;
  }
  for (const p of old) {
    if (options.signal?.aborted) return result;
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
      await tx.unsafe(RETENTION_SQL.dropPartition, [p.name, options.tz]);
    });
    if (!result.droppedDays.includes(p.day)) result.droppedDays.push(p.day);
  }
  // Rows staged by an INSERT into dns_queries (or taken out of a block) go into blocks.
  await sql.unsafe(INGEST_SQL.packRows, ["dns_query_staged", null]);
  result.errorLinesDeleted = await repeatDelete(sql, RETENTION_SQL.deleteOldErrors, rawCut.t);
  result.rejectsDeleted = await repeatDelete(sql, RETENTION_SQL.deleteOldRejects, rawCut.t);

  const statsDays = await sql.unsafe<{ day: string }[]>(RETENTION_SQL.statsDays, [
    statsKeep,
    options.tz,
  ]);
  for (const { day } of statsDays) {
    if (options.signal?.aborted) return result;
    await sql.unsafe(RETENTION_SQL.deleteStatsDay, [day, options.tz]);
    result.statsDaysDeleted.push(day);
  }
  const [statsCut] = await sql.unsafe<{ t: Date }[]>(
    "select ($1::date::timestamp at time zone $2::text) as t",
    [statsKeep, options.tz],
  );
  await sql.unsafe(RETENTION_SQL.deleteOldSeen, [statsCut.t]);

  // Every day ahead is ensured: after a change of zone a day may be covered only in part.
  const have = new Set(partitions.map((p) => p.day));
  const ahead = [today, today + 1, today + 2].map(dayString);
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
    for (const d of ahead) await tx.unsafe(INGEST_SQL.ensurePartition, [d, options.tz]);
  });
  result.createdDays = ahead.filter((d) => !have.has(d));
  return result;
}
