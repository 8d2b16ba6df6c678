/**
 * One collection of named's server counters: read the statistics channel, and in one
 * transaction compute the delta from the node's last stored reading, file it under its
 * minute in `dns_server_counters`, store the new reading, and give the day a new statistics
 * version so federation peers pull it. Two collectors of one node (two processes) take turns
 * on a lock: each delta is counted once.
 *
 * @example
 * ```ts
 * const r = await collectServerCounters(sql, { node: "dns1", url: "http://127.0.0.1:8080", tz: "UTC" });
 * if (r.stored) console.log(r.minute, r.restarted);
 * ```
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import { STATS_VERSION_LOCK } from "../rollup/rollup.ts";
import { readServerCounters, type ServerSample } from "./channel.ts";
import { counterColumns, counterDelta } from "./delta.ts";
import { SERVER_STATS_SQL } from "./statements.ts";
import { createZoneClock, dayString } from "../time.ts";

/** Advisory lock of one node's counters (second key: hashtext(node_name)). */
export const SERVER_COUNTERS_LOCK = 424_316;

/** Options of {@linkcode collectServerCounters}. */
export interface CollectOptions {
  /** This server's node name (DNSA_NODE). */
  node: string;
  /** named's statistics channel (DNSA_NAMED_STATS). */
  url: string;
  /** IANA zone of days (DNSA_LOG_TZ): which day's statistics version the minute bumps. */
  tz: string;
  /** Fetch timeout, ms (default 5000). */
  timeoutMs?: number;
  now?: () => Date;
}

/** What one collection did. */
export interface CollectResult {
  /** A delta was stored (false for the first reading, which is the baseline). */
  stored: boolean;
  restarted: boolean;
  /** The minute the delta was filed under. */
  minute: Date | null;
  /** The delta by `group.name` key (empty without one). */
  counters: Record<string, number>;
}

/** Read the channel once and store the delta; throws NamedStatsError or database errors. */
export async function collectServerCounters(
  sql: Sql,
  options: CollectOptions,
): Promise<CollectResult> {
  const sample = await readServerCounters(options.url, {
    timeoutMs: options.timeoutMs,
    now: options.now,
  });
  return await storeServerSample(sql, sample, options);
}

/** Store one reading (and the delta from the last one) for `options.node`. */
export async function storeServerSample(
  sql: Sql,
  sample: ServerSample,
  options: { node: string; tz: string },
): Promise<CollectResult> {
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${SERVER_COUNTERS_LOCK}, hashtext(${options.node}))`;
    const [prev] = await tx.unsafe<
      { sampled_at: Date; boot_time: Date | null; counters: Record<string, number> }[]
    >(SERVER_STATS_SQL.sampleGet, [options.node]);
    const delta = counterDelta(
      prev
        ? { sampledAt: prev.sampled_at, bootTime: prev.boot_time, counters: prev.counters }
        : null,
      sample,
    );
    if (prev && !delta) {
      // Not later than the stored reading (a clock step back): keep the stored one.
      return { stored: false, restarted: false, minute: null, counters: {} };
    }
    await tx.unsafe(SERVER_STATS_SQL.samplePut, [
      options.node,
      sample.sampledAt.toISOString(),
      sample.bootTime?.toISOString() ?? null,
      JSON.stringify(sample.counters),
    ]);
    if (!delta) return { stored: false, restarted: false, minute: null, counters: {} };
    const row = {
      node_name: options.node,
      stat_minute: delta.minute.toISOString(),
      since: delta.since.toISOString(),
      sampled_at: delta.until.toISOString(),
      restarted: delta.restarted,
      ...counterColumns(delta.counters),
    };
    await tx.unsafe(SERVER_STATS_SQL.countersAdd, [JSON.stringify(row)]);
    // The minute's day gets a new statistics version, so peers pull its counters.
    const day = dayString(
      Math.floor(createZoneClock(options.tz).toWall(delta.minute.getTime()) / 86_400_000),
    );
    const [bounds] = await tx.unsafe<{ lo: Date; hi: Date }[]>(ROLLUP_SQL.dayBounds, [
      day,
      options.tz,
    ]);
    await tx`select pg_advisory_xact_lock(${STATS_VERSION_LOCK})`;
    await tx.unsafe(ROLLUP_SQL.versionBump, [options.node, day, bounds.lo, bounds.hi]);
    return {
      stored: true,
      restarted: delta.restarted,
      minute: delta.minute,
      counters: delta.counters,
    };
  });
}
