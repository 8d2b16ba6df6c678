/**
 * Rollup: raw queries → hourly and daily statistics, one (node, day) window at a time.
 *
 * Ingest marks the hours each batch touched (`rollup_dirty`); a rollup without dates
 * rebuilds the windows that have marks (everything up to now, the current partial hour and
 * day included), and one with dates rebuilds every window of those days. A window is rebuilt
 * in one transaction: its statistics rows are deleted and computed again from the raw rows in
 * one sorted pass (lib/rollup/window.ts),
 * so re-running any window gives the same rows and late rows re-aggregate the windows they
 * touch. Windows of one node are serialised by an advisory lock: a second rollup waits, or
 * (`wait: false`, the scheduled run) leaves a busy window for the next run.
 *
 * @module
 */
import type { Sql, Tx } from "../db/connect.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import { WindowReader } from "./read_thread.ts";
import { aggregateWindow } from "./window.ts";

/** Advisory lock of a node's rollup windows (second key: node_id). */
export const ROLLUP_LOCK = 424_313;

/**
 * Advisory lock taken right before a window's statistics version is set and held until its
 * transaction ends: versions then become visible in the order they were taken, so a peer
 * that read every version up to V has seen every change up to V (lib/federation/pull.ts).
 */
export const STATS_VERSION_LOCK = 4_243_120_003;

/** Every statistics table the rollup writes (each row carries its node_name). */
export const STATISTICS_TABLES = [
  "dns_hourly_stats",
  "dns_daily_stats",
  "dns_daily_domains",
  "dns_daily_apexes",
  "dns_daily_clients",
  "dns_daily_qtypes",
  "dns_hourly_totals",
  "dns_daily_totals",
  "dns_domains_seen",
] as const;

/** Options of {@linkcode rollupStatistics}. */
export interface RollupOptions {
  /** IANA zone of days and hours (DNSA_LOG_TZ). */
  tz: string;
  /** First day to rebuild, `YYYY-MM-DD`; with `to`, every window of the range is rebuilt. */
  from?: string;
  /** Last day to rebuild, inclusive. */
  to?: string;
  /** Wait for a window another rollup holds (default), or skip it until the next run. */
  wait?: boolean;
  /** Stop between windows. */
  signal?: AbortSignal;
  /** The database takes COPY FROM STDIN (default true; false on the embedded database). */
  copy?: boolean;
  /**
   * Statistics rows per batch written while a window is read (default 80 000): smaller
   * batches hold less memory, larger ones keep PostgreSQL's writing busier.
   */
  batchRows?: number;
  /**
   * Read and count PostgreSQL windows on a worker thread (default true); false does it on
   * the main thread, slower (the writer's socket waits behind the reading).
   */
  readerThread?: boolean;
  /** Called after each window. */
  onWindow?: (done: number, total: number, window: RollupWindow) => void;
}

/** One node's day. */
export interface RollupWindow {
  nodeId: number;
  nodeName: string;
  day: string;
}

/** What {@linkcode rollupStatistics} did. */
export interface RollupResult {
  /** Windows rebuilt. */
  windows: number;
  /** Windows left because another rollup held them, or whose raw rows are gone. */
  skipped: number;
  /** Raw rows and orphan error lines read. */
  rows: number;
  /** Days rebuilt, `YYYY-MM-DD`. */
  days: string[];
}

/** Days from `from` to `to` inclusive, `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** The windows to rebuild. */
async function windowsOf(sql: Sql, options: RollupOptions): Promise<RollupWindow[]> {
  if (options.from === undefined && options.to === undefined) {
    const rows = await sql.unsafe<{ node_id: number; node_name: string; day: string }[]>(
      ROLLUP_SQL.pendingDays,
      [options.tz],
    );
    return rows.map((r) => ({ nodeId: r.node_id, nodeName: r.node_name, day: r.day }));
  }
  // Only nodes whose raw rows live here: a federated peer's statistics have no raw rows to
  // be rebuilt from, and must not be cleared.
  const nodes = await sql.unsafe<{ node_id: number; node_name: string }[]>(
    ROLLUP_SQL.localNodes,
  );
  const first = options.from ?? options.to!;
  const last = options.to ?? options.from!;
  const out: RollupWindow[] = [];
  for (const day of daysBetween(first, last)) {
    for (const n of nodes) out.push({ nodeId: n.node_id, nodeName: n.node_name, day });
  }
  return out;
}

/** Rebuild the statistics of the pending windows, or of every window of a range of days. */
export async function rollupStatistics(
  sql: Sql,
  options: RollupOptions,
): Promise<RollupResult> {
  const forced = options.from !== undefined || options.to !== undefined;
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${STATS_VERSION_LOCK})`;
    await tx.unsafe(ROLLUP_SQL.versionsBackfill, [options.tz]);
  });
  const windows = await windowsOf(sql, options);
  const result: RollupResult = { windows: 0, skipped: 0, rows: 0, days: [] };
  const days = new Set<string>();
  let done = 0;
  const reader = options.copy !== false && windows.length > 0 ? new WindowReader(sql) : null;
  try {
    for (const w of windows) {
      if (options.signal?.aborted) break;
      const outcome = await sql.begin((tx) => rollupWindow(tx, w, reader, { ...options, forced }));
      if (outcome === null) result.skipped++;
      else {
        result.windows++;
        result.rows += outcome;
        days.add(w.day);
      }
      options.onWindow?.(++done, windows.length, w);
    }
  } finally {
    reader?.close();
  }
  result.days = [...days].sort();
  return result;
}

/** Rebuild one window; returns the raw rows read, or null when it was skipped. */
async function rollupWindow(
  tx: Tx,
  w: RollupWindow,
  reader: WindowReader | null,
  options: RollupOptions & { forced: boolean },
): Promise<number | null> {
  const forced = options.forced;
  if (options.wait === false) {
    const [got] = await tx`select pg_try_advisory_xact_lock(${ROLLUP_LOCK}, ${w.nodeId}) as ok`;
    if (!got.ok) return null;
  } else {
    await tx`select pg_advisory_xact_lock(${ROLLUP_LOCK}, ${w.nodeId})`;
  }
  const [bounds] = await tx.unsafe<{ lo: Date; hi: Date; raw: string | null }[]>(
    ROLLUP_SQL.dayBounds,
    [w.day, options.tz],
  );
  const marks = await tx.unsafe<{ stat_hour: Date; seq: string }[]>(
    ROLLUP_SQL.marksRead,
    [w.nodeId, bounds.lo, bounds.hi],
  );
  if (!forced && marks.length === 0) return null; // another rollup did it meanwhile
  const dropMarks = () =>
    tx.unsafe(ROLLUP_SQL.marksDelete, [
      w.nodeId,
      marks.map((m) => m.stat_hour.toISOString()),
      marks.map((m) => m.seq),
    ]);
  if (bounds.raw === null) {
    // The day's raw partition is gone (retention): its statistics stay as they are.
    await dropMarks();
    return null;
  }
  // Hourly rows: the marked hours (every hour of the day when the range was named).
  let hourFrom = bounds.lo, hourTo = bounds.hi;
  if (!forced) {
    const times = marks.map((m) => m.stat_hour.getTime());
    hourFrom = new Date(Math.max(bounds.lo.getTime(), Math.min(...times)));
    hourTo = new Date(Math.min(bounds.hi.getTime(), Math.max(...times) + 3_600_000));
  }
  // The old rows go while the day is read and sorted (PostgreSQL reads it on another
  // connection); the new rows queue behind these statements on this transaction.
  const deletes = Promise.all([
    tx.unsafe(ROLLUP_SQL.hourlyDelete, [w.nodeName, hourFrom, hourTo]),
    tx.unsafe(ROLLUP_SQL.dailyDelete, [w.nodeName, w.day]),
  ]);
  deletes.catch(() => {}); // awaited below; a failure also fails the statements behind it
  const rows = await aggregateWindow(tx, {
    nodeId: w.nodeId,
    nodeName: w.nodeName,
    day: w.day,
    lo: bounds.lo,
    hi: bounds.hi,
    hourFrom,
    hourTo,
    tz: options.tz,
    copy: options.copy !== false,
    batchRows: options.batchRows,
    readerThread: options.readerThread,
  }, reader);
  await deletes;
  await tx.unsafe(ROLLUP_SQL.domainsSeen, [w.nodeName, w.day]);
  await dropMarks();
  // Last, so the version lock is held only for the commit.
  await tx`select pg_advisory_xact_lock(${STATS_VERSION_LOCK})`;
  await tx.unsafe(ROLLUP_SQL.versionBump, [w.nodeName, w.day, bounds.lo, bounds.hi]);
  return rows;
}
