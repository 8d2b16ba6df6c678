/**
 * Retention of named's server counters, as of the statistics (DNSA_STATS_RETENTION_DAYS):
 * days older than that are deleted one day at a time (each delete is bounded by its day).
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { createZoneClock, dayString } from "../time.ts";
import { SERVER_STATS_SQL } from "./statements.ts";

/** Delete the server counters of days older than `statsRetentionDays`; returns those days. */
export async function applyServerCounterRetention(
  sql: Sql,
  options: { tz: string; statsRetentionDays: number; now?: Date; signal?: AbortSignal },
): Promise<string[]> {
  const today = Math.floor(
    createZoneClock(options.tz).toWall((options.now ?? new Date()).getTime()) / 86_400_000,
  );
  const keep = dayString(today - options.statsRetentionDays);
  const days = await sql.unsafe<{ day: string }[]>(SERVER_STATS_SQL.retentionDays, [
    keep,
    options.tz,
  ]);
  const deleted: string[] = [];
  for (const { day } of days) {
    if (options.signal?.aborted) break;
    await sql.unsafe(SERVER_STATS_SQL.retentionDeleteDay, [day, options.tz]);
    deleted.push(day);
  }
  return deleted;
}
