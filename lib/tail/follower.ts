/**
 * The follower: passes over rotated sets (the query log and the query-errors log, or a
 * dnstap file), each file continuing from its checkpoint through the file pipeline with the
 * source's decoder, woken by file-system events (watcher.ts) and by stat polling every
 * `pollMs` (the source of truth: on NFS no events arrive). While the database is away,
 * or refuses a batch (the fault policy, lib/fault.ts: disk full, read-only, a timeout, a
 * checkpoint another process moved), reading pauses with backoff and resumes from the
 * checkpoints; the files are the queue. Only a configuration error ends it.
 *
 * Because every file is found by its fingerprint, a pass needs no memory of the last one to
 * be correct: BIND's rename rotation (`x` → `x.0`) finishes the renamed file and reads the
 * new `x` from byte 0; copytruncate starts a new fingerprint at 0 (and the copy `x.1` is
 * finished from its checkpoint); files rotated while the program was stopped are found under
 * their new names. Unchanged files that were read to their end are skipped by a stat check.
 *
 * @module
 */
import { backoffMs } from "../backoff.ts";
import { classifyFault } from "../fault.ts";
import { addCounts, type Counts, zeroCounts } from "../ingest/counts.ts";
import type { WriterContext } from "../ingest/commit.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../sleep.ts";
import { listRotatedSet } from "./file_set.ts";
import { readFiles } from "./pipeline.ts";
import { skipToEnd } from "./skip_to_end.ts";
import type { TailSource } from "./source.ts";
import { createWaker } from "./watcher.ts";

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
  /** The source of each pass (a pass's reject samples and caches are its own). */
  source: () => TailSource;
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
      const marked = await skipToEnd(ctx.sql, options.source(), {
        nodeId: ctx.nodeId,
        paths: files,
      });
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
      const source = options.source();
      try {
        summary = await readFiles(ctx, changed, {
          source,
          log: options.log,
          vanishedOk: true,
          signal: options.signal,
        });
        outage = 0;
        ctx.faults?.resume();
      } catch (error) {
        // The fault policy (lib/fault.ts): only a configuration error ends the follower; a
        // database fault outside a batch's retries (a checkpoint look-up) pauses reading.
        const fault = classifyFault(error);
        if (fault.kind === "fatal" || options.signal.aborted) throw error;
        const delayMs = backoffMs(++outage + 1);
        if (ctx.faults) ctx.faults.pause(fault, delayMs);
        else {
          options.log.warn("database unavailable, reading paused", {
            error: fault.message,
            reason: fault.reason,
            retry_in_ms: delayMs,
          });
        }
        // What was decoded past the last commit is read again from the checkpoints.
        source.reset?.();
        for (const f of changed) seen.delete(f);
        await sleep(delayMs, options.signal); // new log lines must not cut the pause short
        continue;
      }
      stats.passes++;
      addCounts(stats, summary);
      stats.pending = summary.pending;
      stats.batches += summary.batches;
      // A file gone from the listing (deleted, or renamed to a name listed under) owes nothing.
      for (const f of Object.keys(stats.behind)) if (!files.includes(f)) delete stats.behind[f];
      for (const r of summary.files) {
        const s = seen.get(r.path);
        if (s && r.status !== "failed") s.done = r.endOffset >= s.size || r.status === "empty";
        stats.behind[r.path] = r.status === "empty" ? 0 : Math.max(0, (s?.size ?? 0) - r.endOffset);
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
