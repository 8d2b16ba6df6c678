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
import { listRotatedSet } from "./file_set.ts";
import { ingestFiles } from "./ingest_files.ts";

/** Counters of a follower, for logs and metrics. */
export interface FollowStats extends Counts {
  pending: number;
  passes: number;
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
}

interface Seen {
  ino: number | null;
  size: number;
  mtime: number;
  done: boolean;
}

/** Follow `paths` until `signal` aborts; the pass running then finishes (and commits). */
export async function follow(ctx: WriterContext, options: FollowOptions): Promise<FollowStats> {
  const stats: FollowStats = {
    ...zeroCounts(),
    pending: 0,
    passes: 0,
    lastCommitAt: null,
    behind: {},
  };
  const seen = new Map<string, Seen>();
  const wake = createWaker(options.paths, options.log, options.signal);
  const warned = new Set<string>();
  while (!options.signal.aborted) {
    const files: string[] = [];
    for (const path of options.paths) {
      try {
        files.push(...await listRotatedSet(path));
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
      const summary = await ingestFiles(ctx, changed, {
        log: options.log,
        vanishedOk: true,
        signal: options.signal,
      });
      stats.passes++;
      addCounts(stats, summary);
      stats.pending = summary.pending;
      for (const r of summary.files) {
        const s = seen.get(r.path);
        if (s && r.status !== "failed") s.done = r.endOffset >= s.size || r.status === "empty";
        stats.behind[r.path] = Math.max(0, (s?.size ?? 0) - r.endOffset);
      }
      if (summary.rows + summary.errorLines > 0) stats.lastCommitAt = Date.now();
      options.onPass?.(stats);
    }
    await wake(options.pollMs);
  }
  return stats;
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
