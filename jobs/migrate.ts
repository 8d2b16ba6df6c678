/**
 * The `migrate` command: apply pending migrations. `main` opens every database command's
 * database with its migrations applied (lib/context.ts), so what is left here is to say so.
 *
 * @module
 */
import type { CommandRecord } from "../lib/cli.ts";
import { migrateOutput } from "../lib/seed/migrate_output.ts";

/** `dns-analytics migrate`. */
export const migrateCommand: CommandRecord = {
  name: "migrate",
  summary: "apply pending database migrations (every command also does it first)",
  usage: "dns-analytics migrate [--dry-run]",
  options: { "dry-run": { type: "boolean" } },
  help: `Applies the migrations of sql/migrations/ that the database does not have yet,
in one transaction under an advisory lock, and checks that applied ones are
unchanged (a changed migration stops the program).

A database of the seed guide's install (its own dns_queries, dns_daily_stats
and dns_nodes tables) is converted in place, in the same transaction: the node
registry with its node ids and names; every query row, marked origin = 'seed',
under its node (rows without a node_id under DNSA_NODE); the seed's daily
statistics until the rollup rebuilds those days. Row counts are compared before
and after; if they differ nothing is committed. Reading BIND's logs afterwards
replaces the seed's rows wherever the logs still cover them.

Options:
  --dry-run   print what would be done (pending migrations, the seed's tables,
              rows, nodes, days) and change nothing

Examples:
  DATABASE_URL=postgres://dns_user@127.0.0.1/dns_analytics dns-analytics migrate
  DNSA_NODE=home-dns1 dns-analytics migrate --dry-run --config /etc/dns-ingestor/db.env`,
  database: "migrated",
  // `migrate --dry-run` only looks.
  skipMigrations: ({ values }) => values["dry-run"] === true,
  async run(ctx, { values, out }) {
    out(JSON.stringify(await migrateOutput(ctx, values["dry-run"] === true)));
    return 0;
  },
};
