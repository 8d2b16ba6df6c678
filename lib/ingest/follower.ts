/**
 * Following live logs: passes over the rotated sets of the query log and the query-errors
 * log, each file continuing from its checkpoint, woken by `Deno.watchFs` on the directories
 * and by stat polling every `pollMs` (the source of truth: on NFS no events arrive).
 *
 * Because every file is found by its fingerprint, a pass needs no memory of the last one to
 * be correct: BIND's rename rotation (`x` → `x.0`) finishes the renamed file and reads the
 * new `x` from byte 0; copytruncate starts a new fingerprint at 0 (and the copy `x.1` is
 * finished from its checkpoint); files rotated while the program was stopped are found under
 * their new names. Unchanged files that were read to their end are skipped by a stat check.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Logger } from "../log.ts";
import { addCounts, type Counts, zeroCounts } from "./batch.ts";
import type { WriterContext } from "./commit.ts";
import { classifyFault } from "../db/connect.ts";
import { backoffMs } from "../fault.ts";
import { sleep } from "../sleep.ts";
import { listRotatedSet } from "./file_set.ts";
import { ingestFiles } from "./ingest_files.ts";
import { skipToEnd } from "./skip_to_end.ts";

/** Counters of a follower, for logs and metrics. */
export interface FollowStats extends Counts {
  pending: number;
  passes: number;
  /** Batches committed. */
  batches: number;
  /** Batches retried after a transient database failure. */
  retries: number;
  lastCommitAt: number | null;
  /** Bytes not yet read, per file of the last pass. */
  behind: Record<string, number>;
}

/** Options of {@linkcode follow}. */
export interface FollowOptions {
  paths: readonly string[];
  pollMs: number;
  log: Logger;
  signal: AbortSignal;
  /** Called after each pass that read something. */
  onPass?: (stats: FollowStats) => void;
  /** First pass: files without a checkpoint count as read to their end (`serve --from-end`). */
  fromEnd?: boolean;
}

interface Seen {
  ino: number | null;
  size: number;
  mtime: number;
  done: boolean;
}

/** Follow `paths` until `signal` aborts; the pass running then finishes (and commits). */
export async function follow(
  writer: WriterContext,
  options: FollowOptions,
): Promise<FollowStats> {
  const stats: FollowStats = {
    ...zeroCounts(),
    pending: 0,
    passes: 0,
    batches: 0,
    retries: 0,
    lastCommitAt: null,
    behind: {},
  };
  const seen = new Map<string, Seen>();
  const ctx: WriterContext = {
    ...writer,
    onRetry: (info) => {
      stats.retries++;
      writer.onRetry?.(info);
    },
  };
  const wake = createWaker(options.paths, options.log, options.signal);
  const warned = new Set<string>();
  let outage = 0;
  const warnedBacklog = new Map<string, number>();
  let first = true;
  while (!options.signal.aborted) {
    const files: string[] = [];
    const sets: string[][] = [];
    for (const path of options.paths) {
      try {
        const set = await listRotatedSet(path);
        sets.push(set);
        files.push(...set);
        warned.delete(path);
      } catch (error) {
        if (!warned.has(path)) {
          warned.add(path);
          options.log.warn("log directory not readable, retrying", {
            path,
            error: error instanceof Error ? error.message : String(error),
            hint: "check that the directory exists and that this user may read it",
          });
        }
      }
    }
    if (first && options.fromEnd) {
      const marked = await skipToEnd(ctx.sql, { nodeId: ctx.nodeId, paths: files });
      if (marked.length > 0) options.log.info("starting at the end of", { files: marked });
    }
    first = false;
    const changed = [];
    for (const f of files) {
      const info = await Deno.stat(f).catch(() => null);
      if (!info) continue;
      const prev = seen.get(f);
      const mtime = info.mtime?.getTime() ?? 0;
      if (
        prev && prev.done && prev.ino === info.ino && prev.size === info.size &&
        prev.mtime === mtime
      ) {
        continue;
      }
      seen.set(f, { ino: info.ino, size: info.size, mtime, done: false });
      changed.push(f);
    }
    if (changed.length > 0) {
      let summary;
      try {
        summary = await ingestFiles(ctx, changed, {
          log: options.log,
          vanishedOk: true,
          signal: options.signal,
        });
        outage = 0;
        ctx.faults?.resume();
      } catch (error) {
        // The fault policy (lib/fault.ts): only a configuration error ends serve; a database
        // fault outside a batch (a checkpoint look-up, a conflict) pauses reading and retries.
        const fault = classifyFault(error);
        if (fault.kind === "fatal" || options.signal.aborted) throw error;
        const delayMs = backoffMs(++outage, { baseMs: 500 });
        if (ctx.faults) ctx.faults.pause(fault, delayMs);
        else {
          options.log.warn("database unavailable, reading paused", {
            error: fault.message,
            reason: fault.reason,
            retry_in_ms: delayMs,
          });
        }
        for (const f of changed) seen.delete(f);
        await sleep(delayMs, options.signal); // new log lines must not cut the pause short
        continue;
      }
      stats.passes++;
      addCounts(stats, summary);
      stats.pending = summary.pending;
      stats.batches += summary.batches;
      for (const r of summary.files) {
        const s = seen.get(r.path);
        if (s && r.status !== "failed") s.done = r.endOffset >= s.size || r.status === "empty";
        stats.behind[r.path] = Math.max(0, (s?.size ?? 0) - r.endOffset);
      }
      if (summary.rows + summary.errorLines > 0) stats.lastCommitAt = Date.now();
      warnBacklog(sets, stats, options.log, warnedBacklog);
      options.onPass?.(stats);
    }
    await wake(options.pollMs);
  }
  return stats;
}

/**
 * Warn (at most once a minute per set) when the oldest file of a rotated set that has newer
 * files is still not read to its end: BIND deletes the oldest version at its next rotation,
 * and what is unread in it then is lost. The backlog is the sum of unread bytes of the set.
 */
function warnBacklog(
  sets: string[][],
  stats: FollowStats,
  log: Logger,
  warned: Map<string, number>,
): void {
  for (const set of sets) {
    if (set.length < 3) continue;
    const oldest = set[0];
    const behind = stats.behind[oldest] ?? 0;
    if (behind <= 0) continue;
    const now = Date.now();
    if (now - (warned.get(oldest) ?? 0) < 60_000) continue;
    warned.set(oldest, now);
    log.warn("backlog reaches the oldest rotated file", {
      file: oldest,
      unread_bytes: set.reduce((sum, f) => sum + (stats.behind[f] ?? 0), 0),
      files_behind: set.filter((f) => (stats.behind[f] ?? 0) > 0).length,
      hint: "BIND deletes the oldest version at its next rotation; raise 'versions' or " +
        "'size' of the logging channel, or make the database keep up",
    });
  }
}

/**
 * A wait that ends after `ms`, on a file-system event in one of the log directories, or on
 * abort. Events only wake the poller; if watching fails (no inotify, NFS), polling goes on.
 */
function createWaker(paths: readonly string[], log: Logger, signal: AbortSignal) {
  const waiting: { poke: (() => void) | null } = { poke: null };
  const dirs = [...new Set(paths.map((p) => dirname(p)))];
  let watcher: Deno.FsWatcher | null = null;
  try {
    watcher = Deno.watchFs(dirs, { recursive: false });
    (async () => {
      for await (const _ of watcher!) waiting.poke?.();
    })().catch(() => {});
  } catch (error) {
    log.info("file watching unavailable, polling only", {
      dirs,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  signal.addEventListener("abort", () => {
    watcher?.close();
    waiting.poke?.();
  }, { once: true });
  return (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiting.poke = null;
        // Coalesce a burst of events (a writer appends many times a second).
        setTimeout(resolve, signal.aborted ? 0 : 50);
      };
      const timer = setTimeout(done, ms);
      waiting.poke = done;
    });
}
