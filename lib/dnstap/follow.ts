/**
 * `serve` with `DNSA_SOURCE=dnstap`: the dnstap source named by `DNSA_DNSTAP`, said
 * explicitly (lib/config.ts): `unix:/path` is a socket the program listens on (named's
 * `dnstap-output unix`); anything else a file (named's `dnstap-output file`), followed with
 * its rotated versions exactly once like the logs.
 *
 * @module
 */
import { ConfigError } from "../config.ts";
import { classifyFault } from "../db/connect.ts";
import { backoffMs } from "../fault.ts";
import type { WriterContext } from "../ingest/commit.ts";
import { listRotatedSet } from "../ingest/file_set.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../sleep.ts";
import { createZoneClock } from "../time.ts";
import { ingestDnstapFiles } from "./ingest.ts";
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
  batches: number;
  connections?: number;
  protocolErrors?: number;
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
      batches: s.batches,
      connections: s.connections,
      protocolErrors: s.protocolErrors,
      lastCommitAt: s.lastCommitAt,
    };
  }
  const stats: DnstapFollowStats = {
    mode: "file",
    frames: 0,
    rows: 0,
    rejected: 0,
    skipped: 0,
    batches: 0,
    lastCommitAt: null,
  };
  await refuseSocketAsFile(target);
  const newAssembler = () =>
    new DnstapAssembler({ nodeId: ctx.nodeId, clock: createZoneClock(ctx.tz) });
  let assembler = newAssembler();
  log.info("following dnstap file", { path: target });
  let warned = false;
  let outage = 0;
  while (!signal.aborted) {
    const files = await listRotatedSet(target).catch(() => []);
    if (files.length === 0 && !warned) {
      log.warn("dnstap file not found yet, waiting", { path: target });
      warned = true;
    }
    let r;
    try {
      r = await ingestDnstapFiles(ctx, files, {
        log,
        signal,
        assembler,
        vanishedOk: true,
        finishAtStop: true,
      });
      outage = 0;
      ctx.faults?.resume();
    } catch (error) {
      // The fault policy (lib/fault.ts): pause, retry, and read again from the checkpoints;
      // the frames read since the last commit are read again, so their joins start afresh.
      const fault = classifyFault(error);
      if (fault.kind === "fatal" || signal.aborted) throw error;
      const delayMs = backoffMs(++outage, { baseMs: 500 });
      if (ctx.faults) ctx.faults.pause(fault, delayMs);
      else log.warn("database unavailable, reading paused", { reason: fault.reason });
      assembler = newAssembler();
      await sleep(delayMs, signal);
      continue;
    }
    stats.frames += r.frames;
    stats.rows += r.rows;
    stats.rejected += r.rejected;
    stats.skipped += r.skipped;
    stats.batches += r.batches;
    if (r.batches > 0) stats.lastCommitAt = Date.now();
    options.onStats?.(stats);
    await sleep(options.pollMs, signal);
  }
  return stats;
}
