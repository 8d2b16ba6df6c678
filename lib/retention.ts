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
  // Statistics first need every pending window whose raw rows are about to go.
  const partitions = await sql.unsafe<{ name: string; day: string }[]>(
    RETENTION_SQL.rawPartitions,
  );
  const old = partitions.filter((p) => p.day < rawKeep);
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
      const [b] = await tx.unsafe<{ lo: Date; hi: Date }[]>(
        "select ($1::date::timestamp at time zone $2::text) as lo, " +
          "(($1::date + 1)::timestamp at time zone $2::text) as hi",
        [p.day, options.tz],
      );
      await tx.unsafe(RETENTION_SQL.dropPartition, [p.name, b.lo, b.hi]);
    });
    result.droppedDays.push(p.day);
  }
  const [rawCut] = await sql.unsafe<{ t: Date }[]>(
    "select ($1::date::timestamp at time zone $2::text) as t",
    [rawKeep, options.tz],
  );
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

  const have = new Set(partitions.map((p) => p.day));
  const ahead = [today, today + 1, today + 2].map(dayString).filter((d) => !have.has(d));
  if (ahead.length > 0) {
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
      for (const d of ahead) await tx.unsafe(INGEST_SQL.ensurePartition, [d, options.tz]);
    });
    result.createdDays = ahead;
  }
  return result;
}
