/**
 * The `federate` job (`deno task federate`, and every DNSA_FEDERATE_SCHEDULE under `serve`
 * when there are peers): pull each peer's changed statistics (lib/federation/pull.ts). Each peer's
 * pull is one run in job_runs (`detail.peer`), failed when that peer failed; the other peers
 * proceed, and the next run catches up from the watermark. Exports the job and its command
 * record (which also makes the postgres_fdw route to a peer: `--setup-fdw`).
 *
 * @module
 */
import {
  type CommandRecord,
  listOption,
  stringOption,
  UsageError,
  withStopSignal,
} from "../lib/cli.ts";
import type { JobContext } from "../lib/context.ts";
import { type PeerPullResult, pullPeer } from "../lib/federation/pull.ts";
import { setupFdwPeer } from "../lib/federation/fdw.ts";
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

/** `federate --setup-fdw PEER`: the postgres_fdw route to one peer. */
async function setupFdw(ctx: JobContext, name: string) {
  const peer = (await listPeers(ctx.sql, ctx.config)).find((p) => p.name === name);
  if (!peer) {
    throw new UsageError(
      `--setup-fdw: no peer named "${name}" (name it in DNSA_PEERS as ${name}=postgres://...)`,
    );
  }
  return await setupFdwPeer(ctx.sql, peer, { env: Deno.env.toObject() });
}

/** `dns-analytics federate`. */
export const federateCommand: CommandRecord = {
  name: "federate",
  summary: "pull the peers' statistics into this database",
  usage: "dns-analytics federate [--peer NAME[,NAME]] [--full] | --setup-fdw PEER",
  options: {
    peer: { type: "string" },
    full: { type: "boolean" },
    "setup-fdw": { type: "string" },
  },
  help: `Pulls the statistics of every peer into this database: DNSA_PEERS
(name=postgres://user@host/db, comma-separated) and the dns_nodes rows that have
a peer_url. Each peer's own nodes come with their own node names (the peer's
name is only the connection label); statistics the peer pulled from others are
not pulled again. Only what changed since the last run moves: each (node, day)
the peer's rollup rebuilt since is copied in one transaction that also advances
the peer's watermark, so running it again moves nothing and an interrupted run
is completed by the next. A peer that is down, unreachable or refuses the login
is recorded (federation_peers, job_runs) and the other peers proceed; the next
run catches up. Passwords: in DNSA_PEERS, or in ~/.pgpass / PGPASSFILE (never
in a table). 'serve' runs it every DNSA_FEDERATE_SCHEDULE (default every 5
minutes, UTC) when there are peers. Prints a JSON summary; exit status 2 when
some peer failed.

Options:
  --peer NAME        only these peers (comma-separated labels)
  --full             pull everything the peers have again (after a peer's
                     database was restored from a backup)
  --setup-fdw PEER   instead of pulling: make the postgres_fdw route for PEER of
                     DNSA_PEERS here (server, user mapping, foreign tables in
                     schema peer_<name>) and the views <table>_all (local rows
                     union all every fdw peer's own nodes); needs a role that may
                     create the postgres_fdw extension and servers

Examples:
  DNSA_PEERS=dns2=postgres://dns_reader@10.10.10.250/dns_analytics deno task federate
  dns-analytics federate --peer dns2
  dns-analytics federate --setup-fdw dns2`,
  database: "migrated",
  async run(ctx, { values, out }) {
    const fdwPeer = stringOption(values, "setup-fdw");
    if (fdwPeer !== undefined) {
      out(JSON.stringify(await setupFdw(ctx, fdwPeer)));
      return 0;
    }
    const r = await withStopSignal((signal) =>
      federate(ctx, { peers: listOption(values, "peer"), full: values.full === true, signal })
    );
    for (const p of r.peers) if (!p.ok) console.error(`dns-analytics: ${p.error}`);
    out(JSON.stringify({
      peers: r.peers.length,
      failed: r.failed,
      days: r.days,
      rows: r.rows,
      results: r.peers,
    }));
    return r.failed > 0 ? 2 : 0;
  },
};
