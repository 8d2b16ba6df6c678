/**
 * The `migrate` command: apply pending migrations. `main` opens every database command's
 * database with its migrations applied (lib/context.ts), so what is left here is to say so.
 *
 * @module
 */
import type { CommandRecord } from "../lib/cli.ts";

/** `dns-analytics migrate`. */
export const migrateCommand: CommandRecord = {
  name: "migrate",
  summary: "apply pending database migrations (every command also does it first)",
  usage: "dns-analytics migrate",
  options: {},
  help: `Applies the migrations of sql/migrations/ that the database does not have yet,
in one transaction under an advisory lock, and checks that applied ones are
unchanged (a changed migration stops the program).

Example:
  DATABASE_URL=postgres://dns_user@127.0.0.1/dns_analytics dns-analytics migrate`,
  database: "migrated",
  run(_ctx, { out }) {
    out(JSON.stringify({ migrated: true }));
    return Promise.resolve(0);
  },
};
