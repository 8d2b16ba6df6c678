/**
 * Tiers (`DNSA_CLIENT_IP_FULL_DAYS=N`): ingest keeps full addresses; once a day is older than
 * N days (today and the N days before it are kept, as retention counts), the retention job
 * rewrites its dns_queries partition with the configured mode (`truncate` in SQL, `hash`
 * through a map this process computes, so the key never reaches the database), swaps it in
 * (detach, drop, rename, attach, in one transaction), updates the day's query-errors lines,
 * and rebuilds the day's statistics from the rewritten rows: the daily client table, the
 * unique-client counts and their sketches then hold only what the mode stores.
 *
 * While a day is rewritten its partition is locked against writers (SHARE): a backfill of
 * that day waits; readers do not. Statistics of days whose raw partition was already dropped
 * are not rewritten (see lib/privacy/README.md).
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { rollupStatistics } from "../rollup/rollup.ts";
import { createZoneClock, dayString } from "../time.ts";
import type { PrivacyPolicy } from "./policy.ts";
import tierDays from "../../sql/privacy/tier_days.sql" with { type: "text" };
import dayAddresses from "../../sql/privacy/day_addresses.sql" with { type: "text" };
import mapCreate from "../../sql/privacy/map_create.sql" with { type: "text" };
import mapInsert from "../../sql/privacy/map_insert.sql" with { type: "text" };
import rewriteDay from "../../sql/privacy/rewrite_day.sql" with { type: "text" };
import { unmarkPacked } from "../retention_pack.ts";

const PARTITION_LOCK = 4_243_120_002; // the lock ingest and retention take for partitions
const MAP_CHUNK = 20_000;

/** Options of {@linkcode rewriteOldDays}. */
export interface TierOptions {
  tz: string;
  policy: PrivacyPolicy;
  /** The database takes COPY FROM STDIN (false on the embedded database). */
  copy?: boolean;
  now?: Date;
  signal?: AbortSignal;
}

/** What {@linkcode rewriteOldDays} did. */
export interface TierResult {
  /** Days rewritten, `YYYY-MM-DD`. */
  days: string[];
  /** Raw rows rewritten. */
  rows: number;
  /** Statistics windows rebuilt from the rewritten days. */
  rolledUp: number;
}

/** Rewrite every day partition older than the tier; nothing when no tier is configured. */
export async function rewriteOldDays(sql: Sql, options: TierOptions): Promise<TierResult> {
  const result: TierResult = { days: [], rows: 0, rolledUp: 0 };
  const { policy } = options;
  const mode = policy.stored.mode;
  if (policy.fullDays <= 0 || mode === "full") return result;
  const today = Math.floor(
    createZoneClock(options.tz).toWall((options.now ?? new Date()).getTime()) / 86_400_000,
  );
  const firstFull = dayString(today - policy.fullDays);
  // Each partition with its own bounds: after a change of DNSA_LOG_TZ a day's rows can lie in
  // partitions made under another zone (migration 0026), and each is rewritten whole.
  const parts = await sql.unsafe<{ name: string; day: string; lo: Date; hi: Date }[]>(
    tierDays,
    [firstFull, mode, options.tz],
  );
  const { prefix4: p4, prefix6: p6 } = policy.stored;
  for (const { name, day, lo, hi } of parts) {
    if (options.signal?.aborted) break;
    const rows = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
      // Writers of this day wait until the swap is committed; readers go on.
      if (!/^dns_queries_p[0-9]{8}(_[0-9]{8}t[0-9]{6}z)?$/.test(name)) {
        throw new Error(`not a day partition: ${name}`);
      }
      await tx.unsafe(`lock table "${name}" in share mode`);
      if (mode === "hash") {
        await tx.unsafe(mapCreate);
        const found = await tx.unsafe<{ address: string }[]>(dayAddresses, [lo, hi]);
        for (let i = 0; i < found.length; i += MAP_CHUNK) {
          const addresses = found.slice(i, i + MAP_CHUNK).map((r) => r.address);
          const pseudonyms = addresses.map((a) => policy.stored.text(a) ?? a);
          await tx.unsafe(mapInsert, [addresses, pseudonyms]);
        }
      }
      const [r] = await tx.unsafe<{ rows: string }[]>(rewriteDay, [
        name,
        lo,
        hi,
        mode,
        p4,
        p6,
        day,
      ]);
      return Number(r.rows);
    });
    // A day made ahead (retention makes the next two) and never written is no day rewritten.
    if (rows > 0 && !result.days.includes(day)) result.days.push(day);
    result.rows += rows;
    await unmarkPacked(sql, name); // its blocks are new: the retention job packs it again
    // The statistics of every day (in DNSA_LOG_TZ) the partition held rows of.
    const clock = createZoneClock(options.tz);
    const rolled = await rollupStatistics(sql, {
      tz: options.tz,
      copy: options.copy,
      from: dayString(Math.floor(clock.toWall(lo.getTime()) / 86_400_000)),
      to: dayString(Math.floor(clock.toWall(hi.getTime() - 1) / 86_400_000)),
      wait: true,
      signal: options.signal,
    });
    result.rolledUp += rolled.windows;
  }
  return result;
}
