/**
 * Federation: pull each peer's statistics into this database, incrementally.
 *
 * A peer's rollup gives every (node, day) it rebuilds a new version (`stats_versions`, one
 * sequence, in the window's transaction, visible in version order). A pull reads, in one
 * repeatable-read snapshot of the peer, the versions above this database's watermark for that
 * peer, oldest first, and for each (node, day) replaces that day's rows of every statistics
 * table here in one local transaction that also advances the watermark. So a run applies each
 * change once, a second run moves nothing, and a run killed half way resumes after the last
 * day it committed. Only days the peer rolled up itself are listed, never statistics it pulled
 * from others: no loops. A peer's rows keep the peer's node names.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Sql, Tx } from "../db/connect.ts";
import { ROLLUP_SQL } from "../db/statements.ts";
import { FEDERATED_TABLES, type FederatedTable, FEDERATION_SQL } from "./sql.ts";
import { openPeer, type Peer, peerErrorText } from "./peer.ts";
import type { Logger } from "../log.ts";
import { createZoneClock, dayString } from "../time.ts";
import { copyServerCountersDay, peerHasServerCounters } from "../server_stats/federation.ts";

/** Advisory lock of one node's federated days (second key: hashtext(node_name)). */
export const FEDERATE_LOCK = 424_315;

/** Rows fetched from a peer and inserted here at a time. */
const CHUNK_ROWS = 2000;

/**
 * The most bytes of row text one chunk may hold (2000 honest rows are a few MB): a peer may
 * send anything, and a chunk is held in memory and sent here whole.
 */
export const CHUNK_BYTES = 64 * 1024 * 1024;

/** (node, day) versions read from a peer at a time. */
const VERSION_PAGE = 500;

/** A federation failure of one peer; the message names the peer and what to do. */
export class FederationError extends Error {
  override name = "FederationError";
}

/** Options of {@linkcode pullPeer}. */
export interface PullOptions {
  /** This server's node name (DNSA_NODE): never overwritten by a peer. */
  node: string;
  /** IANA zone of days here (DNSA_LOG_TZ), for the statistics retention cutoff. */
  tz: string;
  /** Days older than this many days are not pulled (DNSA_STATS_RETENTION_DAYS). */
  statsRetentionDays: number;
  /** Start again from version 0 (re-pull everything the peer has). */
  full?: boolean;
  env: Record<string, string | undefined>;
  log: Logger;
  now?: Date;
  signal?: AbortSignal;
  /** Called after each (node, day) committed here. */
  onDay?: (day: { node: string; day: string; rows: number }) => void;
  /** The cap of one chunk of a peer's rows, in bytes ({@linkcode CHUNK_BYTES}). */
  chunkBytes?: number;
}

/** What one pull from one peer did. */
export interface PeerPullResult {
  peer: string;
  ok: boolean;
  /** (node, day) statistics applied. */
  days: number;
  /** Statistics rows copied. */
  rows: number;
  /** Versions read but not applied (already applied, or older than retention). */
  unchanged: number;
  /** Node names whose days were applied. */
  nodes: string[];
  /** The watermark after the pull. */
  version: string;
  /** Without credentials. */
  error?: string;
}

interface VersionRow {
  node_name: string;
  day: string;
  version: string;
  day_start: Date;
  day_end: Date;
}

interface NodeMeta {
  node_ip: string | null;
  location: string | null;
  network: string | null;
  active: boolean | null;
}

/**
 * Pull `peer`'s changed statistics. Never throws for the peer's own failures (down,
 * unreachable, wrong password, conflicting node names): they are recorded in
 * federation_peers and returned, so the other peers proceed.
 */
export async function pullPeer(
  sql: Sql,
  peer: Peer,
  options: PullOptions,
): Promise<PeerPullResult> {
  const result: PeerPullResult = {
    peer: peer.name,
    ok: false,
    days: 0,
    rows: 0,
    unchanged: 0,
    nodes: [],
    version: "0",
  };
  const [start] = await sql.unsafe<{ last_version: string; peer_database_id: string | null }[]>(
    FEDERATION_SQL.peerStart,
    [peer.name],
  );
  result.version = start.last_version;
  const nodes = new Set<string>();
  let peerSql: Sql | null = null;
  try {
    peerSql = await openPeer(peer, { env: options.env });
    await peerSql.begin("isolation level repeatable read read only", async (p) => {
      const [id] = await p.unsafe<{ database_id: string | null; has_versions: boolean }[]>(
        FEDERATION_SQL.peerIdentity,
      );
      if (!id.has_versions || id.database_id === null) {
        throw new FederationError(
          `peer "${peer.name}" records no statistics versions: upgrade dns-analytics there ` +
            "(migration 0007) and let it run once",
        );
      }
      const counters = await peerHasServerCounters(p);
      let watermark = BigInt(start.last_version);
      if (options.full || start.peer_database_id !== id.database_id) {
        watermark = 0n;
        await sql.unsafe(FEDERATION_SQL.peerReset, [peer.name, id.database_id]);
      }
      const cutoff = dayString(
        Math.floor(
          createZoneClock(options.tz).toWall((options.now ?? new Date()).getTime()) /
            86_400_000,
        ) - options.statsRetentionDays,
      );
      const meta = new Map<string, NodeMeta>();
      for (;;) {
        if (options.signal?.aborted) break;
        const page = await p.unsafe<VersionRow[]>(FEDERATION_SQL.peerVersions, [
          watermark.toString(),
          VERSION_PAGE,
        ]);
        if (page.length === 0) break;
        const unknown = [...new Set(page.map((v) => v.node_name))].filter((n) => !meta.has(n));
        if (unknown.length > 0) {
          for (
            const r of await p.unsafe<(NodeMeta & { node_name: string })[]>(
              FEDERATION_SQL.peerNodes,
              [unknown],
            )
          ) meta.set(r.node_name, r);
        }
        for (const v of page) {
          if (options.signal?.aborted) break;
          const rows = await sql.begin((tx) =>
            applyDay(tx, p, v, {
              peer: peer.name,
              node: options.node,
              skip: v.day < cutoff,
              meta: meta.get(v.node_name) ?? null,
              counters,
              chunkBytes: options.chunkBytes ?? CHUNK_BYTES,
            })
          );
          watermark = BigInt(v.version);
          if (rows === null) result.unchanged++;
          else {
            result.days++;
            result.rows += rows;
            nodes.add(v.node_name);
            options.onDay?.({ node: v.node_name, day: v.day, rows });
          }
        }
        if (page.length < VERSION_PAGE) break;
      }
      result.version = watermark.toString();
    });
    result.ok = true;
  } catch (error) {
    result.error = error instanceof FederationError ? error.message : peerErrorText(error, peer);
  } finally {
    await peerSql?.end({ timeout: 2 }).catch(() => {});
  }
  result.nodes = [...nodes].sort();
  await sql.unsafe(FEDERATION_SQL.peerFinish, [
    peer.name,
    result.ok,
    result.error ?? null,
    result.rows,
  ]);
  if (result.ok) {
    options.log.info("federate peer", {
      peer: peer.name,
      days: result.days,
      rows: result.rows,
      unchanged: result.unchanged,
      version: result.version,
    });
  } else {
    options.log.error("federate peer failed", { peer: peer.name, error: result.error });
  }
  return result;
}

/**
 * Replace one node's day here with the peer's rows, in `tx`, advancing the watermark. Returns
 * the rows copied, or null when nothing was applied (already applied, or older than the
 * statistics retention here).
 */
async function applyDay(
  tx: Tx,
  p: Tx,
  v: VersionRow,
  ctx: {
    peer: string;
    node: string;
    skip: boolean;
    meta: NodeMeta | null;
    counters: boolean;
    chunkBytes: number;
  },
): Promise<number | null> {
  const advance = (rows: number, days: number) =>
    tx.unsafe(FEDERATION_SQL.peerAdvance, [ctx.peer, v.version, rows, days]);
  if (ctx.skip) {
    await advance(0, 0);
    return null;
  }
  await tx`select pg_advisory_xact_lock(${FEDERATE_LOCK}, hashtext(${v.node_name}))`;
  const [owner] = await tx.unsafe<{ federated_from: string | null; local: boolean }[]>(
    FEDERATION_SQL.nodeOwner,
    [v.node_name, ctx.node],
  );
  if (owner?.local) {
    throw new FederationError(
      `peer "${ctx.peer}" sends statistics of node "${v.node_name}", which is a node of this ` +
        "database (its raw rows or statistics are here): give every server its own DNSA_NODE",
    );
  }
  if (owner?.federated_from && owner.federated_from !== ctx.peer) {
    throw new FederationError(
      `peer "${ctx.peer}" sends statistics of node "${v.node_name}", which peer ` +
        `"${owner.federated_from}" already sends: two databases claim the same node name ` +
        "(give every server its own DNSA_NODE, or list the database under one peer only)",
    );
  }
  const [applied] = await tx.unsafe<{ version: string }[]>(FEDERATION_SQL.dayApplied, [
    v.node_name,
    v.day,
  ]);
  if (applied && BigInt(applied.version) >= BigInt(v.version)) {
    await advance(0, 0);
    return null;
  }
  const m = ctx.meta;
  await tx.unsafe(FEDERATION_SQL.nodeRegister, [
    v.node_name,
    ctx.peer,
    m?.node_ip ?? null,
    m?.location ?? null,
    m?.network ?? null,
    m?.active ?? null,
  ]);
  await tx.unsafe(FEDERATION_SQL.dayDelete, [v.node_name, v.day, v.day_start, v.day_end]);
  let rows = 0;
  for (const t of FEDERATED_TABLES) {
    const params = t.by === "daily" ? [v.node_name, v.day] : [v.node_name, v.day_start, v.day_end];
    // Each chunk awaited in turn (a cursor callback's last call is not awaited by postgres.js).
    for await (const chunk of p.unsafe<{ r: string }[]>(t.read, params).cursor(CHUNK_ROWS)) {
      rows += await insertChunk(tx, chunk, { table: t, params, v, ...ctx });
    }
  }
  rows += await copyServerCountersDay(tx, p, {
    node: v.node_name,
    start: v.day_start,
    end: v.day_end,
    present: ctx.counters,
    chunkRows: CHUNK_ROWS,
  });
  await tx.unsafe(ROLLUP_SQL.domainsSeen, [v.node_name, v.day]);
  await tx.unsafe(FEDERATION_SQL.dayRecord, [v.node_name, v.day, ctx.peer, v.version]);
  await advance(rows, 1);
  return rows;
}

/**
 * Insert one chunk of a peer's rows of `table`: only those of the version's (node, day), and
 * refuse the day (FederationError) when the chunk is over the byte cap or holds other rows.
 */
async function insertChunk(
  tx: Tx,
  chunk: readonly { r: string }[],
  o: { table: FederatedTable; params: unknown[]; v: VersionRow; peer: string; chunkBytes: number },
): Promise<number> {
  const where = `peer "${o.peer}" sent ${o.table.table} rows for node "${o.v.node_name}" day ` +
    o.v.day;
  let bytes = 0;
  for (const c of chunk) bytes += Buffer.byteLength(c.r, "utf8");
  if (bytes > o.chunkBytes) {
    throw new FederationError(
      `${where} of ${bytes} bytes in ${chunk.length} rows, over the cap of ${o.chunkBytes} ` +
        "bytes: the day is not applied (check the peer's database)",
    );
  }
  const inserted = await tx.unsafe(o.table.insert, [
    `[${chunk.map((c) => c.r).join(",")}]`,
    ...o.params,
  ] as never[]);
  if (inserted.count !== chunk.length) {
    throw new FederationError(
      `${where}, but only ${inserted.count} of the ${chunk.length} rows are of that node and ` +
        "day: the day is not applied (a peer may only send the days it lists; check the " +
        "peer's database)",
    );
  }
  return chunk.length;
}
