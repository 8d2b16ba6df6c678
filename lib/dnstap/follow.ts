/**
 * `serve` with `DNSA_SOURCE=dnstap`: the dnstap source named by `DNSA_DNSTAP`, said
 * explicitly (lib/config.ts): `unix:/path` is a socket the program listens on (named's
 * `dnstap-output unix`); anything else a file (named's `dnstap-output file`), followed with
 * its rotated versions exactly once like the logs. A file is followed by the tail's follower
 * (lib/tail/follower.ts) with the dnstap file source: the watcher, the fault policy's pauses
 * and `--from-end` as for the logs.
 *
 * @module
 */
import { ConfigError } from "../config.ts";
import type { WriterContext } from "../ingest/commit.ts";
import type { Logger } from "../log.ts";
import { follow, type FollowStats } from "../tail/follower.ts";
import { createZoneClock } from "../time.ts";
import { dnstapFileSource } from "./file.ts";
import { listenDnstap } from "./listener.ts";
import { DnstapAssembler } from "./rows.ts";

/**
 * A bare DNSA_DNSTAP path where a socket exists: before `unix:` was required, such a path
 * meant "listen here". Following it as a file would read nothing, so say what to write.
 */
async function refuseSocketAsFile(path: string): Promise<void> {
  const info = await Deno.lstat(path).catch(() => null);
  if (info?.isSocket) {
    throw new ConfigError(
      `DNSA_DNSTAP=${path} is a unix socket, but a path without "unix:" names a dnstap file ` +
        `to follow: write DNSA_DNSTAP=unix:${path} to listen on the socket`,
    );
  }
}

/** Counters of a dnstap follower, for the periodic summary. */
export interface DnstapFollowStats {
  mode: "socket" | "file";
  frames: number;
  rows: number;
  rejected: number;
  skipped: number;
  /** Frames not stored by the exclusion lists. */
  excluded?: number;
  batches: number;
  connections?: number;
  protocolErrors?: number;
  /** Files: 1 when the last pass ended in a partial frame (named still writing). */
  pending?: number;
  /** Files: bytes not yet read, per file of the last pass. */
  behind?: Record<string, number>;
  /** Files: batches retried after a transient database failure. */
  retries?: number;
  lastCommitAt: number | null;
}

/** Follow `target` until `signal` aborts. */
export async function followDnstap(
  ctx: WriterContext,
  target: string,
  options: {
    /** `socket` (DNSA_DNSTAP=unix:…) or `file`. */
    kind: "socket" | "file";
    log: Logger;
    signal: AbortSignal;
    pollMs: number;
    /** Files never read before start at their end (`serve --from-end`). */
    fromEnd?: boolean;
    onStats?: (s: DnstapFollowStats) => void;
  },
): Promise<DnstapFollowStats> {
  const { log, signal } = options;
  if (options.kind === "socket") {
    const s = await listenDnstap(ctx, {
      path: target,
      log,
      signal,
      onCommit: (l) =>
        options.onStats?.({
          mode: "socket",
          frames: l.frames,
          rows: l.rows,
          rejected: l.rejected,
          skipped: l.skipped,
          excluded: l.excluded,
          batches: l.batches,
          connections: l.connections,
          protocolErrors: l.protocolErrors,
          lastCommitAt: l.lastCommitAt,
        }),
    });
    return {
      mode: "socket",
      frames: s.frames,
      rows: s.rows,
      rejected: s.rejected,
      skipped: s.skipped,
      excluded: s.excluded,
      batches: s.batches,
      connections: s.connections,
      protocolErrors: s.protocolErrors,
      lastCommitAt: s.lastCommitAt,
    };
  }
  await refuseSocketAsFile(target);
  const assembler = new DnstapAssembler({
    nodeId: ctx.nodeId,
    clock: createZoneClock(ctx.tz),
    privacy: ctx.privacy,
  });
  log.info("following dnstap file", { path: target });
  const fileStats = (f: FollowStats): DnstapFollowStats => ({
    mode: "file",
    frames: f.lines,
    rows: f.rows,
    rejected: f.rejected,
    skipped: f.skipped,
    excluded: f.excluded,
    batches: f.batches,
    pending: f.pending,
    behind: { ...f.behind },
    retries: f.retries,
    lastCommitAt: f.lastCommitAt,
  });
  const s = await follow(ctx, {
    // One assembler across passes: a response may come in the pass after its query.
    source: () => dnstapFileSource(ctx, { log, assembler }),
    paths: [target],
    pollMs: options.pollMs,
    fromEnd: options.fromEnd,
    log,
    signal,
    onPass: (f) => options.onStats?.(fileStats(f)),
  });
  return fileStats(s);
}
