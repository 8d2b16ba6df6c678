/**
 * dnstap over a unix socket (`dnstap-output unix "…"`): named connects, sends READY, we answer
 * ACCEPT, named sends START and data frames, and STOP (answered by FINISH) when it closes. A
 * dropped or restarted named simply connects again. Frames from every connection go into one
 * batch that commits every `flushMs` (with a checkpoint counting frames, so a commit whose
 * acknowledgement was lost is not applied twice). The socket has no replay, so a batch counts
 * as stored only once it is on the database's disk (synchronous commit), and a checkpoint the
 * database holds that differs from the batch's start (a crash lost a commit, another process
 * wrote) is continued from, never fatal. Frames read but not yet committed are lost if the
 * process is killed. While the database fails (the fault policy, lib/fault.ts: down, full,
 * read-only…) the commit is retried with backoff, the batch grows to `maxFrames`, then reading
 * pauses, so named's own buffer fills and named drops frames (its statistics channel counts
 * them: dnsa_named_dnstap_dropped_total).
 *
 * Garbage, a wrong content type, an oversized or truncated frame: the connection is logged and
 * closed; the listener keeps running.
 *
 * @module
 */
import { backoffMs } from "../backoff.ts";
import { ConfigError } from "../config.ts";
import { classifyFault } from "../fault.ts";
import { Batch } from "../ingest/batch.ts";
import { commitBatch, type WriterContext } from "../ingest/commit.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../sleep.ts";
import { peekCheckpoint } from "../tail/checkpoint.ts";
import { createZoneClock } from "../time.ts";
import { Control, DNSTAP_CONTENT_TYPE, encodeControl, FrameDecoder, FrameError } from "./fstrm.ts";
import { DNSTAP_ANSWER_WINDOW_MS, DnstapAssembler } from "./rows.ts";
import { countExcluded } from "../ingest/counts.ts";
import { settleDnstap } from "./settle.ts";

/** Counters of a listener. */
export interface ListenerStats {
  connections: number;
  open: number;
  frames: number;
  rows: number;
  rejected: number;
  skipped: number;
  /** Frames not stored by the exclusion lists. */
  excluded?: number;
  /** Connections closed for a protocol error (garbage, wrong content type, oversized frame). */
  protocolErrors: number;
  batches: number;
  lastCommitAt: number | null;
}

/** Options of {@linkcode listenDnstap}. */
export interface ListenOptions {
  path: string;
  log: Logger;
  signal: AbortSignal;
  /** Commit interval, ms. Default 1000. */
  flushMs?: number;
  /** Frames buffered before reading pauses. Default 200 000. */
  maxFrames?: number;
  /** Called after each commit and each connection closed for a protocol error. */
  onCommit?: (stats: ListenerStats) => void;
}

/**
 * Remove a stale socket at `path` (left by a process that was killed); never a regular file
 * or a directory, and never the socket of a process that still listens on it.
 */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const info = await Deno.lstat(path);
    if (info.isFile || info.isDirectory) {
      throw new ConfigError(
        `DNSA_DNSTAP: ${path} exists and is not a socket; remove it or choose another path`,
      );
    }
    const live = await Deno.connect({ transport: "unix", path }).then((c) => {
      c.close();
      return true;
    }, () => false);
    if (live) {
      throw new ConfigError(
        `DNSA_DNSTAP: another process listens on ${path} (a second serve for this socket?); ` +
          "stop it or choose another path",
      );
    }
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Listen on the unix socket `options.path` until `options.signal` aborts. */
export async function listenDnstap(
  ctx: WriterContext,
  options: ListenOptions,
): Promise<ListenerStats> {
  const { log, signal, path } = options;
  const flushMs = options.flushMs ?? 1000;
  const maxFrames = options.maxFrames ?? 200_000;
  const stats: ListenerStats = {
    connections: 0,
    open: 0,
    frames: 0,
    rows: 0,
    rejected: 0,
    skipped: 0,
    protocolErrors: 0,
    batches: 0,
    lastCommitAt: null,
  };
  const fingerprint = `socket:${path}`;
  // Batches of a socket commit durably and continue the database's frame count (commit.ts).
  const wctx: WriterContext = { ...ctx, socket: true };
  let offset = await readCheckpoint(wctx, fingerprint, signal);
  const assembler = new DnstapAssembler({
    nodeId: ctx.nodeId,
    clock: createZoneClock(ctx.tz),
    privacy: ctx.privacy,
  });
  const format = ctx.copy === false ? "columns" : "binary";
  const newBatch = () =>
    new Batch({ path, fingerprint, startOffset: offset }, { format, dnstap: true });
  let batch = newBatch();
  // A connection ended (STOP): its unanswered queries are final. They are those up to the
  // latest frame then; a named started since has queries of its own waiting for answers.
  let finishedBeforeMs = 0;
  let committing: Promise<void> | null = null;
  let samples = 5;

  const commit = async () => {
    const b = batch;
    b.endOffset = offset;
    const finished = finishedBeforeMs;
    finishedBeforeMs = 0;
    batch = newBatch();
    // Live frames carry the current time: a query unanswered for a minute of wall time is final.
    assembler.seal(b, new Date(Math.max(Date.now() - DNSTAP_ANSWER_WINDOW_MS, finished)));
    // Nothing read since the last commit: waiting queries from a minute ago still become rows.
    if (b.endOffset === b.source.startOffset && assembler.lastFrameMs === 0) return;
    await commitBatch(wctx, b, {
      settle: settleDnstap,
      onRebase: (shift) => {
        log.warn("dnstap socket checkpoint continued from the database's", {
          path,
          frames_moved: shift,
        });
        offset += shift;
        batch.source.startOffset += shift;
      },
    });
    stats.rows += b.counts.rows + (b.dnstap?.expiredRows ?? 0);
    stats.batches++;
    stats.lastCommitAt = Date.now();
    options.onCommit?.(stats);
  };

  await removeStaleSocket(path);
  const listener = Deno.listen({ transport: "unix", path });
  await Deno.chmod(path, 0o660).catch(() => {});
  log.info("dnstap socket listening", { path });
  const connections = new Set<Promise<void>>();
  const conns = new Set<Deno.UnixConn>();

  const handle = async (conn: Deno.UnixConn) => {
    stats.connections++;
    stats.open++;
    const decoder = new FrameDecoder();
    const buf = new Uint8Array(1 << 16);
    let started = false;
    try {
      for (;;) {
        if (signal.aborted) break;
        while (batch.counts.lines >= maxFrames && committing) await committing;
        const n = await conn.read(buf);
        if (n === null) break;
        decoder.push(buf.slice(0, n));
        for (let f = decoder.next(); f; f = decoder.next()) {
          if (f.kind === "control") {
            if (f.type === Control.READY) {
              if (f.contentTypes.length > 0 && !f.contentTypes.includes(DNSTAP_CONTENT_TYPE)) {
                throw new FrameError(
                  `content type ${f.contentTypes.join(", ")} is not ${DNSTAP_CONTENT_TYPE}`,
                );
              }
              await conn.write(encodeControl(Control.ACCEPT, [DNSTAP_CONTENT_TYPE]));
            } else if (f.type === Control.START) started = true;
            else if (f.type === Control.STOP) {
              const lastMs = assembler.lastFrameMs; // before other connections read on
              await conn.write(encodeControl(Control.FINISH)).catch(() => {});
              finishedBeforeMs = Math.max(finishedBeforeMs, lastMs + 1);
              return;
            }
            continue;
          }
          if (!started) throw new FrameError("data frame before START");
          offset++;
          stats.frames++;
          const outcome = assembler.addFrame(f.payload, offset, batch, samples > 0);
          if (outcome === "skipped") stats.skipped++;
          else if (outcome === "excluded") countExcluded(stats);
          else if (outcome === "malformed") {
            stats.rejected++;
            samples--;
          }
        }
      }
      if (decoder.buffered > 0) {
        log.warn("dnstap connection ended inside a frame", { path, bytes: decoder.buffered });
      }
    } catch (error) {
      if (error instanceof FrameError) {
        stats.protocolErrors++;
        options.onCommit?.(stats);
        log.warn("dnstap connection closed: not a valid dnstap stream", {
          path,
          error: error.message,
        });
      } else if (!signal.aborted) {
        log.warn("dnstap connection failed", { path, error });
      }
    } finally {
      stats.open--;
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };

  const accept = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn as Deno.UnixConn);
        const p = handle(conn as Deno.UnixConn).finally(() => conns.delete(conn as Deno.UnixConn));
        connections.add(p);
        p.finally(() => connections.delete(p));
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  })();
  signal.addEventListener("abort", () => {
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }, { once: true });

  while (!signal.aborted) {
    await sleep(flushMs, signal);
    committing = commit();
    await committing;
    committing = null;
  }
  await accept.catch(() => {});
  await Promise.allSettled([...connections]);
  await commit();
  await Deno.remove(path).catch(() => {});
  log.info("dnstap socket closed", { path, frames: stats.frames, rows: stats.rows });
  return stats;
}

/** The socket's checkpoint (frames stored so far); retried while the database fails. */
async function readCheckpoint(
  ctx: WriterContext,
  fingerprint: string,
  signal: AbortSignal,
): Promise<number> {
  for (let attempt = 1;; attempt++) {
    try {
      // An edge (lib/bus/) keeps its checkpoints itself.
      const offset = await (ctx.store
        ? ctx.store.peek(fingerprint)
        : peekCheckpoint(ctx.sql, { nodeId: ctx.nodeId, fingerprint }));
      ctx.faults?.resume();
      return offset ?? 0;
    } catch (error) {
      const fault = classifyFault(error);
      if (fault.kind === "fatal" || signal.aborted || !ctx.pauseOnFaults) throw error;
      const delayMs = backoffMs(attempt + 1);
      ctx.faults?.pause(fault, delayMs);
      await sleep(delayMs, signal);
    }
  }
}
