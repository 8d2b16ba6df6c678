/**
 * Joining query-errors (and BIND ≥ 9.20.3 response) lines to their queries, in SQL, inside
 * the batch's transaction.
 *
 * A line belongs to the latest query with the same client address, port, name and type
 * that was logged at most 60 s before it and is not yet joined to a line of its kind
 * (identical queries are separate rows, so each line takes one row). Lines are taken oldest
 * first. A line without its query stays unmatched (an orphan) and is tried again whenever a
 * later batch brings query rows from its time range, so files can be ingested in any order.
 * Rate-limit lines are stored but never join: they repeat a query that already has its
 * `query failed` line.
 *
 * {@linkcode settleQueryErrors} is the query log's settle step of a commit: it joins the
 * batch's error lines (and older unmatched ones) and stores the batch's lines already joined,
 * so a line is written once rather than written and then updated (an update leaves a dead
 * row version and index entries behind, which doubled the lines' bytes on disk).
 *
 * @module
 */
import type { Queryable, Tx } from "../db/connect.ts";
import { INGEST_SQL } from "../db/statements.ts";
import { apexDomain } from "../domain.ts";
import { type BatchData, TimeFormatter } from "./batch.ts";
import type { Settled } from "./commit.ts";

/** How long after its query an error line may be written (the resolver's timeouts). */
export const MATCH_WINDOW_MS = 60_000;

interface UnmatchedRow {
  tid: string;
  kind: "failed" | "response";
  logged_at: Date;
  ip: string;
  port: number;
  domain: string;
  qtype: string;
  reason: string | null;
  response_rcode: string | null;
}

interface CandidateRow {
  toid: string;
  tid: string;
  queried_at: Date;
  ip: string;
  port: number;
  domain: string;
  qtype: string;
}

const keyOf = (r: { ip: string; port: number; domain: string; qtype: string }) =>
  `${r.ip}|${r.port}|${r.qtype}|${r.domain}`;

/**
 * The query log's settle step: store the batch's query-errors lines, then join them, and
 * older unmatched lines that this batch's query rows may belong to (their query arrived
 * after them). Marks dirty the span whose rows or error lines changed, from a match window
 * before it.
 */
export async function settleQueryErrors(
  tx: Tx,
  batch: BatchData,
  nodeId: number,
): Promise<Settled> {
  let from = Infinity, to = -Infinity;
  for (const e of batch.errors) {
    if (e.loggedAt < from) from = e.loggedAt;
    if (e.loggedAt > to) to = e.loggedAt;
  }
  if (batch.counts.rows > 0) {
    from = Math.min(from, batch.minAt);
    to = Math.max(to, batch.maxAt + MATCH_WINDOW_MS);
  }
  if (from > to) return { rows: 0, dirty: null };
  const fresh = await freshLines(tx, batch);
  const matchedAt = new Map<number, Date>();
  await matchErrors(tx, { nodeId, from: new Date(from), to: new Date(to), fresh, matchedAt });
  if (batch.errors.length > 0) await insertErrors(tx, nodeId, batch, matchedAt);
  return { rows: 0, dirty: { from: from - MATCH_WINDOW_MS, to } };
}

/** Marks the batch's own lines among the lines to join: their index in `batch.errors`. */
const FRESH = "fresh:";

/**
 * The batch's lines that may join a query, as the table would return them (addresses as
 * host() prints them), before they are stored.
 */
async function freshLines(tx: Tx, batch: BatchData): Promise<UnmatchedRow[]> {
  const idx: number[] = [];
  batch.errors.forEach((e, i) => {
    if (e.kind !== "ratelimit" && e.domain !== null && e.qtype !== null) idx.push(i);
  });
  if (idx.length === 0) return [];
  const hosts = await tx.unsafe<{ h: string }[]>(
    "select host(a::inet) as h from unnest($1::text[]) with ordinality as u(a, o) order by o",
    [idx.map((i) => batch.errors[i].clientIp)],
  );
  return idx.map((i, n) => {
    const e = batch.errors[i];
    return {
      tid: `${FRESH}${i}`,
      kind: e.kind as "failed" | "response",
      logged_at: new Date(e.loggedAt),
      ip: hosts[n].h,
      port: e.clientPort ?? -1,
      domain: e.domain!,
      qtype: e.qtype!,
      reason: e.reason,
      response_rcode: e.rcode,
    };
  });
}

async function insertErrors(
  tx: Tx,
  nodeId: number,
  batch: BatchData,
  matchedAt: Map<number, Date>,
): Promise<void> {
  const e = batch.errors;
  const ts = new TimeFormatter();
  await tx.unsafe(INGEST_SQL.insertErrors, [
    nodeId,
    batch.source.fingerprint,
    e.map((r) => ts.format(r.loggedAt)),
    e.map((r) => r.kind),
    e.map((r) => r.clientIp),
    e.map((r) => r.clientPort),
    e.map((r) => r.domain),
    e.map((r) => r.qclass),
    e.map((r) => r.qtype),
    e.map((r) => r.view),
    e.map((r) => r.reason),
    e.map((r) => r.rcode),
    e.map((r) => r.byteOffset),
    e.map((r) => (r.domain === null ? null : apexDomain(r.domain))),
    e.map((_, i) => matchedAt.get(i)?.toISOString() ?? null),
  ]);
}

/**
 * Join the unmatched lines logged in [from, to] and the `fresh` ones (a batch's lines not
 * stored yet; the time each joins goes into `matchedAt`, by its index in the batch); returns
 * how many were joined.
 */
export async function matchErrors(
  tx: Queryable,
  options: {
    nodeId: number;
    from: Date;
    to: Date;
    fresh?: UnmatchedRow[];
    matchedAt?: Map<number, Date>;
  },
): Promise<number> {
  const stored = await tx.unsafe<UnmatchedRow[]>(
    INGEST_SQL.errorsUnmatched,
    [options.nodeId, options.from, options.to],
    { prepare: true },
  );
  const unmatched = [...stored, ...(options.fresh ?? [])];
  if (unmatched.length === 0) return 0;
  // Oldest first, as the table returns them (a stable sort keeps the table's order of ties).
  if (stored.length > 0 && options.fresh?.length) {
    unmatched.sort((a, b) => a.logged_at.getTime() - b.logged_at.getTime());
  }
  const matchedAt = options.matchedAt ?? new Map<number, Date>();
  let joined = 0;
  for (const kind of ["failed", "response"] as const) {
    const lines = unmatched.filter((u) => u.kind === kind);
    if (lines.length > 0) joined += await matchKind(tx, options.nodeId, kind, lines, matchedAt);
  }
  return joined;
}

async function matchKind(
  tx: Queryable,
  nodeId: number,
  kind: "failed" | "response",
  lines: UnmatchedRow[],
  matchedAt: Map<number, Date>,
): Promise<number> {
  const keys = new Map<string, UnmatchedRow>();
  let lo = Infinity, hi = -Infinity;
  for (const l of lines) {
    keys.set(keyOf(l), l);
    const t = l.logged_at.getTime();
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const ks = [...keys.values()];
  // Fresh partitions have no statistics; a nested loop over the key list would be quadratic.
  await tx.unsafe("set local enable_nestloop = off");
  const candidates = await tx.unsafe<CandidateRow[]>(INGEST_SQL.matchCandidates, [
    nodeId,
    new Date(lo - MATCH_WINDOW_MS),
    new Date(hi),
    kind,
    ks.map((k) => k.ip),
    ks.map((k) => k.port),
    ks.map((k) => k.domain),
    ks.map((k) => k.qtype),
  ], { prepare: true });
  if (candidates.length === 0) return 0;

  const byKey = new Map<string, CandidateRow[]>();
  for (const c of candidates) {
    const k = keyOf(c);
    const list = byKey.get(k);
    if (list) list.push(c);
    else byKey.set(k, [c]);
  }
  for (const list of byKey.values()) {
    list.sort((a, b) => a.queried_at.getTime() - b.queried_at.getTime());
  }
  const taken = new Set<string>();
  const upd = { toid: [] as string[], tid: [] as string[], rcode: [] as (string | null)[] };
  const reasons: (string | null)[] = [];
  const errTid: string[] = [];
  const errAt: Date[] = [];
  let joined = 0;
  for (const line of lines) {
    const list = byKey.get(keyOf(line));
    if (!list) continue;
    const t = line.logged_at.getTime();
    // Latest free query at or before the line, within the window.
    for (let i = list.length - 1; i >= 0; i--) {
      const q = list[i];
      const qt = q.queried_at.getTime();
      if (qt > t) continue;
      if (qt < t - MATCH_WINDOW_MS) break;
      const id = `${q.toid}:${q.tid}`;
      if (taken.has(id)) continue;
      taken.add(id);
      upd.toid.push(q.toid);
      upd.tid.push(q.tid);
      upd.rcode.push(line.response_rcode);
      reasons.push(kind === "failed" ? line.reason : null);
      if (line.tid.startsWith(FRESH)) {
        matchedAt.set(Number(line.tid.slice(FRESH.length)), q.queried_at);
      } else {
        errTid.push(line.tid);
        errAt.push(q.queried_at);
      }
      joined++;
      break;
    }
  }
  if (joined === 0) return 0;
  const source = kind === "failed" ? "query-errors" : "response";
  await tx.unsafe(INGEST_SQL.applyRcodes, [
    upd.toid,
    upd.tid,
    upd.rcode,
    reasons,
    upd.tid.map(() => source),
  ], { prepare: true });
  if (errTid.length > 0) {
    await tx.unsafe(INGEST_SQL.markErrorsMatched, [errTid, errAt.map((d) => d.toISOString())], {
      prepare: true,
    });
  }
  return joined;
}
