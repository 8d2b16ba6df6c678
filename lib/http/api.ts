/**
 * The JSON API (`/api/...`): reports, one domain, one client, the nodes, health. Every
 * handler only reads, and only the statistics tables (never dns_queries), so a read-only
 * role such as dns_reader serves it and a request over years of statistics stays cheap.
 *
 * @module
 */
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Sql } from "../db/connect.ts";
import { apexDomain } from "../domain.ts";
import type { MetricsRecorder } from "../metrics.ts";
import { formatInstant, REPORTS, runReport } from "../report.ts";
import { createZoneClock } from "../time.ts";
import { parseRangeParams, type RangeParams } from "./params.ts";
import { csv, json, jsonError, plainRows } from "./respond.ts";
import { HTTP_SQL } from "./statements.ts";

/** What the API handlers need. */
export interface ApiDeps {
  sql: Sql;
  config: Pick<Config, "node" | "logTz" | "source">;
  metrics: MetricsRecorder;
  now?: () => Date;
}

const LIST_LIMIT = 100;
const HEALTH_JOBS = 20;

const DAY_COLUMNS = [
  "stat_date",
  "hit_count",
  "noerror_count",
  "nxdomain_count",
  "servfail_count",
  "refused_count",
  "other_count",
  "unknown_count",
];

const IP = z.union([z.ipv4(), z.ipv6()]);

function range(url: URL, deps: ApiDeps): RangeParams | Response {
  const p = parseRangeParams(url.searchParams, { tz: deps.config.logTz, now: deps.now?.() });
  return p.ok ? p.value : jsonError(400, p.message);
}

/** `GET /api/reports/<name>`. */
export async function reportEndpoint(deps: ApiDeps, url: URL, name: string): Promise<Response> {
  if (!Object.hasOwn(REPORTS, name)) {
    return jsonError(404, `no report "${name}"; reports: ${Object.keys(REPORTS).join(", ")}`);
  }
  const p = range(url, deps);
  if (p instanceof Response) return p;
  const result = await runReport(deps.sql, name, {
    from: p.from,
    to: p.to,
    nodes: p.nodes ?? undefined,
    location: p.location,
    network: p.network,
    limit: p.limit,
    tz: deps.config.logTz,
  });
  if (p.format === "csv") return csv(name, result.columns, result.rows);
  return json({
    report: name,
    from: p.from,
    to: p.to,
    nodes: p.nodes,
    ...(p.location ? { location: p.location } : {}),
    ...(p.network ? { network: p.network } : {}),
    tz: deps.config.logTz,
    columns: result.columns,
    rows: result.rows,
  });
}

/** A query name as the statistics store it: ASCII lower case, no trailing dot. */
export function normalizeDomain(name: string): string {
  const lower = name.trim().replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return lower.length > 1 && lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** `GET /api/domain?name=`. */
export async function domainEndpoint(deps: ApiDeps, url: URL): Promise<Response> {
  const p = range(url, deps);
  if (p instanceof Response) return p;
  const raw = url.searchParams.get("name");
  if (raw === null || raw.trim() === "") return jsonError(400, "name: give a domain name");
  if (raw.length > 1100) return jsonError(400, "name: too long for a domain name");
  const domain = normalizeDomain(raw);
  const clock = createZoneClock(deps.config.logTz);
  const limit = p.limit ?? LIST_LIMIT;
  const [days, qtypes, nodes, seen] = await Promise.all([
    deps.sql.unsafe(HTTP_SQL.domainDays, [domain, p.from, p.to, p.nodes]),
    deps.sql.unsafe(HTTP_SQL.domainQtypes, [domain, p.from, p.to, p.nodes, limit]),
    deps.sql.unsafe(HTTP_SQL.domainNodes, [domain, p.from, p.to, p.nodes, limit]),
    deps.sql.unsafe(HTTP_SQL.domainSeen, [domain, p.nodes]),
  ]);
  const dayRows = plainRows(days, clock);
  if (p.format === "csv") return csv("domain", [...DAY_COLUMNS, "unique_clients"], dayRows);
  const s = plainRows(seen, clock)[0] ?? {};
  const apex = (dayRows.find((r) => r.apex_domain)?.apex_domain as string | undefined) ??
    (s.apex_domain as string | null) ?? apexDomain(domain);
  return json({
    domain,
    apex_domain: apex,
    from: p.from,
    to: p.to,
    days: dayRows.map(({ apex_domain: _, ...r }) => r),
    qtypes: plainRows(qtypes, clock),
    nodes: plainRows(nodes, clock),
    first_seen: s.first_seen ?? null,
    last_seen: s.last_seen ?? null,
  });
}

/** `GET /api/client?ip=`. */
export async function clientEndpoint(deps: ApiDeps, url: URL): Promise<Response> {
  const p = range(url, deps);
  if (p instanceof Response) return p;
  const raw = (url.searchParams.get("ip") ?? "").trim();
  const ip = IP.safeParse(raw);
  if (!ip.success) {
    return jsonError(400, "ip: must be an IPv4 or IPv6 address, e.g. 192.168.238.10");
  }
  const clock = createZoneClock(deps.config.logTz);
  const [days, nodes] = await Promise.all([
    deps.sql.unsafe(HTTP_SQL.clientDays, [ip.data, p.from, p.to, p.nodes]),
    deps.sql.unsafe(HTTP_SQL.clientNodes, [ip.data, p.from, p.to, p.nodes, p.limit ?? 100]),
  ]);
  const dayRows = plainRows(days, clock);
  if (p.format === "csv") return csv("client", DAY_COLUMNS, dayRows);
  return json({
    client_ip: ip.data,
    from: p.from,
    to: p.to,
    days: dayRows,
    nodes: plainRows(nodes, clock),
  });
}

const NODE_COLUMNS = [
  "node_name",
  "node_ip",
  "location",
  "network",
  "active",
  "added_at",
  "last_commit_at",
  "last_stat_at",
];

/** `GET /api/nodes`. */
export async function nodesEndpoint(deps: ApiDeps, url: URL): Promise<Response> {
  const p = range(url, deps);
  if (p instanceof Response) return p;
  const rows = plainRows(
    await deps.sql.unsafe(HTTP_SQL.nodes),
    createZoneClock(deps.config.logTz),
  );
  if (p.format === "csv") return csv("nodes", NODE_COLUMNS, rows);
  return json({ nodes: rows });
}

const JOB_COLUMNS = ["job", "status", "started_at", "finished_at", "rows", "error"];

/** `GET /api/health`: answers 200 even when the database does not (it says so). */
export async function healthEndpoint(deps: ApiDeps, url: URL): Promise<Response> {
  const p = range(url, deps);
  if (p instanceof Response) return p;
  const clock = createZoneClock(deps.config.logTz);
  let jobs: Record<string, unknown>[] = [];
  let database: "ok" | "unreachable" = "ok";
  try {
    jobs = plainRows(await deps.sql.unsafe(HTTP_SQL.healthJobs, [HEALTH_JOBS]), clock);
  } catch {
    deps.metrics.countDatabaseError();
    database = "unreachable";
  }
  if (p.format === "csv") return csv("health", JOB_COLUMNS, jobs);
  const m = deps.metrics;
  const i = m.ingest;
  const now = (deps.now?.() ?? new Date()).getTime();
  const behind = m.behindBytes();
  // Lag: how long bytes have waited without a commit; 0 when everything is read.
  const lag = behind > 0
    ? Math.max(0, Math.round((now - (i.lastCommitAt ?? m.startedAt)) / 1000))
    : 0;
  return json({
    node: deps.config.node,
    source: deps.config.source,
    ingest: {
      lines: i.lines,
      rows: i.rows,
      rejected: i.rejected,
      reasons: i.reasons,
      skipped: i.skipped,
      behind_bytes: behind,
      last_commit_at: i.lastCommitAt === null
        ? null
        : formatInstant(new Date(i.lastCommitAt), clock),
      lag_seconds: lag,
    },
    jobs,
    database,
  });
}
