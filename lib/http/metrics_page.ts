/**
 * `GET /metrics`: the in-process counters of {@linkcode MetricsRecorder} plus what is read
 * from the database at scrape time: job runs (job_runs), queries of the last complete hour by
 * rcode and the newest statistics hour (dns_hourly_totals), and the federation peers' last
 * success (federation_peers, when that table exists). When the database does not answer, the
 * in-process part is still served and `dnsa_database_up` is 0.
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import {
  formatExposition,
  type MetricFamily,
  type MetricsRecorder,
  recorderFamilies,
  type Sample,
} from "../metrics.ts";
import { HTTP_SQL } from "./statements.ts";

/** What a scrape needs. */
export interface ScrapeDeps {
  sql: Sql;
  config: { node: string; logTz: string };
  metrics: MetricsRecorder;
  now?: () => Date;
}

const RCODES = ["noerror", "nxdomain", "servfail", "refused", "other", "unknown"] as const;

async function databaseFamilies(deps: ScrapeDeps): Promise<MetricFamily[]> {
  const sql = deps.sql;
  const now = deps.now?.() ?? new Date();
  const jobs = await sql.unsafe<{
    node_name: string;
    job: string;
    status: string;
    runs: string;
    seconds: number;
    last_finished: number | null;
    last_failed: boolean;
    last_ok: number | null;
  }[]>(HTTP_SQL.metricsJobs);
  const hour = await sql.unsafe<
    ({ node_name: string; newest_hour: number } & Record<string, string>)[]
  >(HTTP_SQL.metricsHour, [now.toISOString(), deps.config.logTz]);
  const [present] = await sql.unsafe<{ present: boolean }[]>(HTTP_SQL.metricsFederationPresent);
  const peers = present.present
    ? await sql.unsafe<{ peer_name: string; last_success: number | null }[]>(
      HTTP_SQL.metricsFederation,
    )
    : [];
  const perJob = new Map<string, { node: string; job: string; failed: boolean; ok: number }>();
  for (const j of jobs) {
    perJob.set(`${j.node_name}\0${j.job}`, {
      node: j.node_name,
      job: j.job,
      failed: j.last_failed,
      ok: j.last_ok ?? 0,
    });
  }
  const rcodeSamples: Sample[] = [];
  for (const h of hour) {
    for (const r of RCODES) {
      rcodeSamples.push({ labels: { node: h.node_name, rcode: r }, value: Number(h[r]) });
    }
  }
  return [
    {
      name: "dnsa_job_runs_total",
      help: "Runs of the scheduled jobs recorded in job_runs, by node, job and status.",
      type: "counter",
      samples: jobs.map((j) => ({
        labels: { node: j.node_name, job: j.job, status: j.status },
        value: Number(j.runs),
      })),
    },
    {
      name: "dnsa_job_duration_seconds_total",
      help: "Total duration of the finished runs of the scheduled jobs, by node, job and status.",
      type: "counter",
      samples: jobs.map((j) => ({
        labels: { node: j.node_name, job: j.job, status: j.status },
        value: j.seconds,
      })),
    },
    {
      name: "dnsa_job_last_run_failed",
      help: "1 when the newest finished run of the job failed, else 0.",
      type: "gauge",
      samples: [...perJob.values()].map((j) => ({
        labels: { node: j.node, job: j.job },
        value: j.failed ? 1 : 0,
      })),
    },
    {
      name: "dnsa_job_last_success_timestamp_seconds",
      help: "End of the newest successful (ok or skipped) run of the job, Unix seconds; 0 if none.",
      type: "gauge",
      samples: [...perJob.values()].map((j) => ({
        labels: { node: j.node, job: j.job },
        value: j.ok,
      })),
    },
    {
      name: "dnsa_stats_hour_queries",
      help: "Queries of the last complete hour (hours of DNSA_LOG_TZ) by node and rcode, from " +
        "the statistics (as rolled up so far); unknown = the source does not say.",
      type: "gauge",
      samples: rcodeSamples,
    },
    {
      name: "dnsa_stats_newest_hour_timestamp_seconds",
      help: "Start of the newest statistics hour of each node, Unix seconds: how fresh the " +
        "rollup (or a federated node's data) is.",
      type: "gauge",
      samples: hour.map((h) => ({ labels: { node: h.node_name }, value: h.newest_hour })),
    },
    {
      name: "dnsa_federation_peer_last_success_timestamp_seconds",
      help: "Last successful pull of each federation peer, Unix seconds; 0 before the first.",
      type: "gauge",
      samples: peers.map((p) => ({ labels: { peer: p.peer_name }, value: p.last_success ?? 0 })),
    },
  ];
}

/** The body of `GET /metrics`. */
export async function renderMetrics(deps: ScrapeDeps): Promise<string> {
  const families = recorderFamilies(deps.metrics, { node: deps.config.node });
  let up = 1;
  // The in-process counters (a paused source among them) are what matters most when the
  // database is in trouble: a scrape never waits long for the database part.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("database too slow for a scrape")), 2500);
  });
  try {
    const db = databaseFamilies(deps);
    db.catch(() => {});
    families.push(...await Promise.race([db, slow]));
  } catch {
    deps.metrics.countDatabaseError();
    up = 0;
  } finally {
    clearTimeout(timer);
  }
  families.push({
    name: "dnsa_database_up",
    help: "1 when the database answered this scrape's queries, else 0.",
    type: "gauge",
    samples: [{ value: up }],
  });
  return formatExposition(families);
}
