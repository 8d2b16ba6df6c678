/**
 * The `doctor` command: the checks of lib/doctor/, one line each. It takes the configuration
 * loader rather than a database, because a configuration that does not load is one of its
 * findings and it must not migrate the database.
 *
 * @module
 */
import { type CommandRecord, stringOption } from "../lib/cli.ts";
import { doctor } from "../lib/doctor/doctor.ts";
import { formatFinding } from "../lib/doctor/finding.ts";

/** `dns-analytics doctor`. */
export const doctorCommand: CommandRecord = {
  name: "doctor",
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
  database: "none",
  async run({ loadConfig }, { values, out }) {
    const result = await doctor({ loadConfig, namedConf: stringOption(values, "named-conf") });
    for (const f of result.findings) out(formatFinding(f));
    return result.failed ? 1 : 0;
  },
};
