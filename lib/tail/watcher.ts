/**
 * The follower's wake-up: a wait that ends after `ms`, on a file-system event in one of the
 * followed directories, or on abort. Events only wake the poller; if watching fails (no
 * inotify, NFS), polling goes on. The program's only file watcher.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Logger } from "../log.ts";

/** A wait as described in the module doc, for the directories of `paths`. */
export function createWaker(
  paths: readonly string[],
  log: Logger,
  signal: AbortSignal,
): (ms: number) => Promise<void> {
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
