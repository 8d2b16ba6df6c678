/**
 * Command-line parsing and help: `dns-analytics <command> [options]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SEARCH_HELP, SEARCH_OPTIONS } from "./search/report_help.ts";

/** Exit status of a usage error (as sysexits' EX_USAGE). */
export const EXIT_USAGE = 64;

/** A command line that cannot be understood; the message says what is wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

interface CommandSpec {
  summary: string;
  usage: string;
  options: OptionSpec;
  help: string;
}

const COMMON: OptionSpec = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** The commands, their options and their help text. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  ingest: {
    summary: "one-shot import of query logs, query-errors logs and dnstap files (plain or .gz)",
    usage: "dns-analytics ingest [--node NAME] [--batch-rows N] <path>...",
    options: { node: { type: "string" }, "batch-rows": { type: "string" } },
    help: `Reads every line of the given files into PostgreSQL exactly once. dnstap
files (Frame Streams, recognised by their content) are read frame by frame the
same way: one row per client response, joined with its query, plus one per
query never answered.

Files of one rotated set are read oldest first whatever the argument order
(queries.log.6 ... queries.log.0, queries.log; .gz and BIND 'suffix timestamp'
names too). Each line's kind is decided on its own: query lines become rows of
dns_queries; 'query failed' lines set the rcode of their query (REFUSED, or
SERVFAIL for every other reason); rate-limit lines are kept but never mark a
query; other categories are skipped; malformed lines are rejected with a reason
and a few samples are kept in ingest_rejects. Every batch commits with the file's
checkpoint (first-line fingerprint + byte offset), so running the same files
again adds nothing and an interrupted run resumes where it stopped. An
unterminated last line is left pending until it is complete.

The last line on stdout is a JSON summary:
  {"lines":…,"rows":…,"rejected":…,"skipped":…,"pending":…,"reasons":{…},…}
Exit status: 0 when every file was read, 2 when some file could not be (the
others are still ingested), 1 on a configuration or database error.

Options:
  --node NAME        store the rows under this node name (default DNSA_NODE)
  --batch-rows N     rows per committed batch (default 50000)

Examples:
  dns-analytics ingest /var/log/named/queries.log* /var/log/named/query-errors.log*
  dns-analytics ingest --node dns2 /srv/archive/dns2/queries.log.*.gz`,
  },
  serve: {
    summary: "the main job: follow the logs, run the scheduled jobs, serve the dashboard/API",
    usage: "dns-analytics serve [--from-end]",
    options: { "from-end": { type: "boolean" } },
    help: `Follows DNSA_QUERY_LOG and DNSA_ERROR_LOG (default /var/log/named/queries.log and
/var/log/named/query-errors.log) and their rotated files, and stores every line
exactly once through the same path as 'ingest': each file continues from its
checkpoint, so serve continues where ingest stopped and the reverse.

Files are found by the fingerprint of their first line, whatever their name:
BIND's own rotation (queries.log -> queries.log.0 ...) finishes the renamed
file and reads the new one from its start; logrotate's copytruncate starts the
truncated file again at 0; files rotated while serve was stopped are found
under their new names. On first start a file without a checkpoint is read from
its start; with --from-end, files never read before start at their end instead
(what is already in them is not stored). The directory is watched (inotify) and polled every DNSA_POLL_MS
(default 1000; polling alone works, e.g. on NFS). While PostgreSQL is down,
reading pauses and the batch is retried with backoff; nothing is lost or
stored twice. SIGTERM or SIGINT: the batch read so far is committed and serve
exits 0. A JSON summary is logged every minute.

The scheduled jobs run beside it: rollup every DNSA_ROLLUP_SCHEDULE (default
'*/5 * * * *'), retention at DNSA_RETENTION_SCHEDULE (default '17 3 * * *')
and, when there are peers, federate every DNSA_FEDERATE_SCHEDULE (default
'*/5 * * * *'), all UTC, and each once at start to catch up what was missed
while it was down.

With DNSA_SOURCE=dnstap it reads dnstap instead of the logs: DNSA_DNSTAP is a
unix socket it listens on (named's dnstap-output unix), or a dnstap file it
follows with its rotated versions (an existing file, or a name ending in
.fstrm, .dnstap or .tap). DNSA_NAMED_STATS (named's statistics channel) adds
named's count of dropped dnstap frames to the summary.

HTTP: the dashboard at /, the JSON API under /api/, Prometheus metrics at
/metrics and /healthz, on DNSA_HTTP (default 127.0.0.1:8053). Listening beyond
loopback needs DNSA_HTTP_TOKEN (serve refuses to start without it): send it as
'Authorization: Bearer <token>', or sign in at /login in a browser.

Example:
  DNSA_NODE=dns1 dns-analytics serve --config /etc/dns-ingestor/db.env`,
  },
  rollup: {
    summary: "build hourly and daily statistics from the raw queries",
    usage: "dns-analytics rollup [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
    options: { from: { type: "string" }, to: { type: "string" } },
    help: `Builds the statistics tables (dns_hourly_stats, dns_daily_stats and the per-domain,
per-apex, per-client, per-qtype and total tables) from dns_queries and the orphan
query-errors lines.

Without dates: every hour that ingest changed since the last rollup, up to now,
the current partial hour and day included (the next run re-aggregates them).
With --from/--to: every hour of those days (in DNSA_LOG_TZ) of the nodes whose
raw rows are in this database. A window is rebuilt in one transaction, so
running it again gives the same rows. 'serve' runs it every
DNSA_ROLLUP_SCHEDULE (default every 5 minutes, UTC) and once at start; a run by
hand waits for a window a scheduled run holds. Recorded in job_runs; prints a
JSON summary.

Examples:
  deno task rollup
  dns-analytics rollup --from 2026-11-01 --to 2026-11-30`,
  },
  retention: {
    summary: "drop raw partitions and statistics past their retention",
    usage: "dns-analytics retention",
    options: {},
    help: `Drops the day partitions of dns_queries older than DNSA_RETENTION_DAYS (default
30: today and the 30 days before it are kept), after rolling up what they still
owe the statistics; deletes query-errors lines and reject samples of those days
in bounded steps; deletes statistics older than DNSA_STATS_RETENTION_DAYS
(default 400), one day at a time; creates the partitions of today and the next
two days. 'serve' runs it at DNSA_RETENTION_SCHEDULE (default 03:17 UTC daily)
and once at start. Recorded in job_runs; prints a JSON summary.

Example:
  DNSA_RETENTION_DAYS=14 deno task retention`,
  },
  federate: {
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
  },
  migrate: {
    summary: "apply pending database migrations (every command also does it first)",
    usage: "dns-analytics migrate",
    options: {},
    help: `Applies the migrations of sql/migrations/ that the database does not have yet,
in one transaction under an advisory lock, and checks that applied ones are
unchanged (a changed migration stops the program).

Example:
  DATABASE_URL=postgres://dns_user@127.0.0.1/dns_analytics dns-analytics migrate`,
  },
  doctor: {
    summary: "check configuration, database, log files and named.conf; say what to fix",
    usage: "dns-analytics doctor [--named-conf PATH] [--config FILE]",
    options: { "named-conf": { type: "string" } },
    help: `Checks, one line each, 'ok', 'warn' or 'FAIL' with what to change:
  config      the configuration loads (the database target is shown without password)
  database    PostgreSQL answers with these credentials (a refused login names
              DB_PASSWORD / DATABASE_URL); the embedded database is not opened
  schema      applied migrations against this program's: doctor never migrates
  log ...     DNSA_QUERY_LOG and DNSA_ERROR_LOG (or DNSA_DNSTAP with
              DNSA_SOURCE=dnstap) exist and are readable; run as root, access is
              checked as the service user dns-analytics when it exists
  named.conf  read with its includes: category queries to a file channel with
              print-time yes, a separate query-errors channel, 'size' with every
              'versions', rate-limit on a resolver without exempt-clients, dnstap
              (the query log never says NXDOMAIN)

Read-only: nothing is created, migrated or written. Exit status 1 when any
check FAILs, else 0 (warnings included).

Options:
  --named-conf PATH   BIND's configuration (default /etc/bind/named.conf);
                      include statements are followed

Examples:
  sudo dns-analytics doctor --config /etc/dns-analytics/dns-analytics.env
  deno task doctor --named-conf /srv/bind/named.conf`,
  },
  demo: {
    summary: "simulated live BIND traffic ingested on the embedded database",
    usage: "dns-analytics demo [--rate N] [--seconds N] [--keep]",
    options: {
      rate: { type: "string" },
      seconds: { type: "string" },
      keep: { type: "boolean" },
    },
    help: `Writes realistic BIND 9.18 query-log and query-errors lines (the exact shapes
named writes: Zipf-popular names over real public suffixes, IPv4 and IPv6
clients, UDP and TCP, EDNS/DO/cookie flags, SERVFAIL and REFUSED answers with
their 'query failed' lines, NXDOMAIN-bound random names) into a temporary log
directory that rotates like named's 'versions 5 size 512k', follows those files
live into a fresh embedded database, and shows queries, rate and top domains
every two seconds. The dashboard, JSON API and /metrics are served on DNSA_HTTP
(default 127.0.0.1:8053, a free port when that one is taken); the URL is
printed at start. Ctrl-C (or --seconds) stops it: the last lines are read and
committed, the totals printed, and the temporary directory removed.

Needs no PostgreSQL and no configuration.

Options:
  --rate N      simulated queries per second (default 300)
  --seconds N   stop after N seconds (default: run until Ctrl-C)
  --keep        keep the temporary directory (logs and database)

Example:
  deno task demo`,
  },
  report: {
    summary: "print a report from the statistics tables",
    usage:
      "dns-analytics report <name> [--days N] [--from D --to D] [--node NAME[,NAME]] [--limit N] [--format table|json|csv]",
    options: {
      days: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      node: { type: "string" },
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
  --limit N           at most N rows (default 20 for top lists)
  --format F          table (default), json or csv
  --no-rollup         do not roll up pending rows first

Examples:
  dns-analytics report top-domains --days 7 --limit 50
  dns-analytics report top-clients --node dns1 --format json
  dns-analytics report queries-per-hour --from 2026-11-01 --to 2026-11-30 --format csv
${SEARCH_HELP}`,
  },
};

/** The top-level help. */
export function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `dns-analytics: BIND9 query analytics in PostgreSQL

Usage: dns-analytics <command> [options]   (in the repository: deno task <command>)

Commands:
${rows.join("\n")}

Global options:
  --config FILE   read configuration keys from FILE (KEY=VALUE lines, like the
                  seed's /etc/dns-ingestor/db.env); they override the environment
  -h, --help      help for a command: dns-analytics <command> --help

Configuration comes from the environment: DATABASE_URL or DB_HOST, DB_PORT,
DB_NAME, DB_USER, DB_PASSWORD; DNSA_NODE, DNSA_LOG_TZ, ... (see README.md).`;
}

/** A parsed command line. */
export interface ParsedCommand {
  command: string | null;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parse `args` into a command, its options and positionals; throws UsageError. */
export function parseCommandLine(args: readonly string[]): ParsedCommand {
  // `--config FILE` before the command: its value is not the command.
  let commandIndex = -1;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--config") {
      i++;
      continue;
    }
    if (!args[i].startsWith("-")) {
      commandIndex = i;
      break;
    }
  }
  if (commandIndex < 0) {
    const { values } = parseOrThrow(args, COMMON, "dns-analytics");
    return { command: null, values, positionals: [] };
  }
  const command = args[commandIndex];
  const rest = [...args.slice(0, commandIndex), ...args.slice(commandIndex + 1)];
  const spec = COMMANDS[command];
  if (!spec) {
    throw new UsageError(
      `Unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(", ")}.`,
    );
  }
  const { values, positionals } = parseOrThrow(rest, { ...COMMON, ...spec.options }, command);
  return { command, values, positionals };
}

function parseOrThrow(args: readonly string[], options: OptionSpec, where: string) {
  try {
    const r = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: { ...r.values }, positionals: r.positionals };
  } catch (error) {
    const msg = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${where}: ${msg} (see: dns-analytics ${where} --help)`);
  }
}

/** A positive integer option, or undefined; throws UsageError naming the option. */
export function intOption(
  values: Record<string, unknown>,
  name: string,
  bounds: { min: number; max: number },
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
    throw new UsageError(`--${name} must be an integer from ${bounds.min} to ${bounds.max}`);
  }
  return n;
}
