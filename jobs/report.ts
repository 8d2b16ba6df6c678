/**
 * The `report` command: print a report (lib/report.ts) from the statistics tables, after
 * rolling up what ingest added since the last rollup. On a read replica
 * (DNSA_READ_DATABASE_URL), which takes no writes, it reports what the replica has. The raw
 * query search reports (`queries`, `client-domains`, `domain-clients`: lib/search/) read the
 * raw rows instead and stream json and csv.
 *
 * @module
 */
import {
  checkDateRange,
  type CommandRecord,
  intOption,
  isCidr,
  listOption,
  stringOption,
  UsageError,
} from "../lib/cli.ts";
import type { JobContext } from "../lib/context.ts";
import { formatReport, REPORTS, runReport } from "../lib/report.ts";
import {
  checkSearchArguments,
  isSearchReport,
  runSearchReport,
} from "../lib/search/report_command.ts";
import { SEARCH_HELP, SEARCH_OPTIONS, SEARCH_REPORTS } from "../lib/search/report_help.ts";
import { rollup } from "./rollup.ts";

/**
 * Before a report: roll up what ingest added since the last rollup, so the statistics include
 * it. A database role that may only read (a reports role) gets the statistics as they are.
 */
async function refreshStatistics(ctx: JobContext): Promise<void> {
  const [pending] = await ctx.sql<{ n: number }[]>`
    select count(*)::int as n from rollup_dirty`;
  if (pending.n === 0) return;
  try {
    await rollup(ctx, { trigger: "manual" });
  } catch (error) {
    if ((error as { code?: string }).code !== "42501") throw error; // insufficient_privilege
    console.error(
      "dns-analytics: statistics may lag the raw rows (this role cannot run the rollup)",
    );
  }
}

/** `dns-analytics report`. */
export const reportCommand: CommandRecord = {
  name: "report",
  summary: "print a report from the statistics tables",
  usage:
    "dns-analytics report <name> [--days N] [--from D --to D] [--node NAME[,NAME]] [--location L] [--network CIDR] [--limit N] [--format table|json|csv]",
  options: {
    days: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    node: { type: "string" },
    location: { type: "string" },
    network: { type: "string" },
    limit: { type: "string" },
    format: { type: "string" },
    "no-rollup": { type: "boolean" },
    ...SEARCH_OPTIONS,
  },
  help: `Reports (all read the statistics tables; columns are named as the tables name them):
  top-domains        one row per domain: hit_count (every query of every rcode
                     and class), unique_clients, the rcode split, first/last seen;
                     ordered by hit_count descending, then domain
  top-apex-domains   the same per registrable domain (public suffix list)
  top-clients        one row per client_ip with hit_count and the rcode split
  qtype-mix          queries per qtype and share_pct
  rcode-rates        NOERROR, NXDOMAIN, SERVFAIL, REFUSED, other, unknown with rate_pct
  top-nxdomain       names answered NXDOMAIN most often (needs dnstap or BIND >=
                     9.20.3 response logging: the query log never says NXDOMAIN)
  top-servfail       names answered SERVFAIL most often
  queries-per-hour   hit_count, unique clients and rcodes per hour, oldest first
  new-domains        domains seen for the first time in the range, newest first
  node-totals        queries per node with share_pct, first and last day
  server-rcodes      answers named sent by rcode (its statistics channel,
                     DNSA_NAMED_STATS): NXDOMAIN where the query log says nothing
  server-rrl         minutes in which rate limiting dropped or slipped answers
  server-cache       resolver cache hits, misses and hit ratio per day

Days and hours are in DNSA_LOG_TZ and times are printed in it, with their
offset. Without --days or --from/--to a report covers all statistics. By
default every node, local and federated. unique_clients is exact for one node
and day; over several days or nodes it comes from merged client hashes: exact
below 256 clients, else estimated with a relative standard error of 6.3 %
(unique_clients_error_pct says which). Before the report, what ingest added
since the last rollup is rolled up (--no-rollup: report the statistics as they
are). json prints an array of objects keyed by column name.

Options:
  --days N            the last N days, today included
  --from D, --to D    first and last day (YYYY-MM-DD), inclusive
  --node NAME         one node, or several separated by commas (default: all)
  --location L        only the nodes at location L (DNSA_NODE_LOCATION of each)
  --network CIDR      only the nodes whose network or address lies in CIDR
  --limit N           at most N rows (default 20 for top lists)
  --format F          table (default), json or csv
  --no-rollup         do not roll up pending rows first

Examples:
  dns-analytics report top-domains --days 7 --limit 50
  dns-analytics report top-clients --node dns1 --format json
  dns-analytics report top-domains --location home --days 7
  dns-analytics report queries-per-hour --from 2026-11-01 --to 2026-11-30 --format csv
${SEARCH_HELP}`,
  database: "replica",
  check({ values, positionals }) {
    if (isSearchReport(positionals[0])) {
      checkSearchArguments(positionals[0], values);
      return;
    }
    if (!positionals[0] || !REPORTS[positionals[0]]) {
      throw new UsageError(
        `report: name one of ${
          [...Object.keys(REPORTS), ...Object.keys(SEARCH_REPORTS)].join(", ")
        }`,
      );
    }
    for (const k of Object.keys(SEARCH_OPTIONS)) {
      if (values[k] !== undefined) {
        throw new UsageError(`--${k} belongs to the search reports (queries, client-domains, ...)`);
      }
    }
    if (!["table", "json", "csv", undefined].includes(values.format as string | undefined)) {
      throw new UsageError("--format must be table, json or csv");
    }
    if (values.network !== undefined && !isCidr(String(values.network))) {
      throw new UsageError("--network must be a network in CIDR notation, e.g. 10.10.10.0/24");
    }
    checkDateRange(values);
  },
  async run(ctx, { values, positionals, out }) {
    if (isSearchReport(positionals[0])) return await runSearchReport(ctx, positionals[0], values);
    // A read replica (DNSA_READ_DATABASE_URL) takes no writes: report what it has.
    if (values["no-rollup"] !== true && ctx.config.readDatabaseUrl === null) {
      await refreshStatistics(ctx);
    }
    const result = await runReport(ctx.sql, positionals[0], {
      days: intOption(values, "days", { min: 1, max: 36500 }),
      from: stringOption(values, "from"),
      to: stringOption(values, "to"),
      nodes: listOption(values, "node"),
      location: stringOption(values, "location"),
      network: stringOption(values, "network"),
      limit: intOption(values, "limit", { min: 1, max: 1_000_000 }),
      tz: ctx.config.logTz,
    });
    out(formatReport(result, (values.format as "table" | "json" | "csv") ?? "table"));
    return 0;
  },
};
