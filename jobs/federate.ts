/**
 * The `federate` job (`deno task federate`, and every DNSA_FEDERATE_SCHEDULE under `serve`
 * when there are peers): pull each peer's changed statistics (lib/federation/pull.ts). Each peer's
 * pull is one run in job_runs (`detail.peer`), failed when that peer failed; the other peers
 * proceed, and the next run catches up from the watermark.
 *
 * @module
 */
import type { JobContext } from "../lib/context.ts";
import { type PeerPullResult, pullPeer } from "../lib/federation/pull.ts";
import { listPeers } from "../lib/federation/peer.ts";
import { recordedRun, type Trigger } from "../lib/job_runs.ts";

/** Options of {@linkcode federate}. */
export interface FederateJobOptions {
  trigger?: Trigger;
  signal?: AbortSignal;
  /** Only these peer labels (default: every peer). */
  peers?: string[];
  /** Re-pull everything the peers have, not only what changed. */
  full?: boolean;
  now?: Date;
}

/** What {@linkcode federate} did. */
export interface FederateResult {
  peers: PeerPullResult[];
  failed: number;
  days: number;
  rows: number;
}

/** Pull every peer once; each pull recorded in job_runs. Never throws for a peer's failure. */
export async function federate(
  ctx: JobContext,
  options: FederateJobOptions = {},
): Promise<FederateResult> {
  const all = await listPeers(ctx.sql, ctx.config);
  const unknown = (options.peers ?? []).filter((n) => !all.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `No peer named ${unknown.map((n) => `"${n}"`).join(", ")} (peers: ` +
        `${all.map((p) => p.name).join(", ") || "none; set DNSA_PEERS"})`,
    );
  }
  const peers = options.peers ? all.filter((p) => options.peers!.includes(p.name)) : all;
  const result: FederateResult = { peers: [], failed: 0, days: 0, rows: 0 };
  for (const peer of peers) {
    if (options.signal?.aborted) break;
    let pulled: PeerPullResult | null = null;
    try {
      await recordedRun(
        ctx.sql,
        ctx.log,
        { job: "federate", node: ctx.config.node, trigger: options.trigger ?? "manual" },
        async () => {
          pulled = await pullPeer(ctx.sql, peer, {
            node: ctx.config.node,
            tz: ctx.config.logTz,
            statsRetentionDays: ctx.config.statsRetentionDays,
            full: options.full,
            env: Deno.env.toObject(),
            log: ctx.log,
            now: options.now,
            signal: options.signal,
          });
          if (!pulled.ok) throw new Error(pulled.error);
          return {
            rows: pulled.rows,
            detail: {
              peer: peer.name,
              days: pulled.days,
              unchanged: pulled.unchanged,
              nodes: pulled.nodes,
              version: pulled.version,
            },
          };
        },
      );
    } catch {
      // Recorded in job_runs and federation_peers, and logged: the other peers proceed.
    }
    const r = pulled as PeerPullResult | null;
    if (r === null) continue;
    result.peers.push(r);
    if (!r.ok) result.failed++;
    result.days += r.days;
    result.rows += r.rows;
  }
  return result;
}
