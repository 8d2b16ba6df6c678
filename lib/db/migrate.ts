/**
 * Forward-only migrations from `sql/migrations/`, applied in one transaction under an
 * advisory lock and recorded with a SHA-256 checksum. A migration whose file changed after
 * it was applied stops the program: the fix is a new migration, never an edit.
 *
 * @module
 */
import type { Sql } from "./connect.ts";
import m0001 from "../../sql/migrations/0001_init.sql" with { type: "text" };
import m0002 from "../../sql/migrations/0002_statistics.sql" with { type: "text" };
import m0003 from "../../sql/migrations/0003_dnstap.sql" with { type: "text" };
import m0004 from "../../sql/migrations/0004_dropped_days.sql" with { type: "text" };
import m0005 from "../../sql/migrations/0005_latency.sql" with { type: "text" };
import m0006 from "../../sql/migrations/0006_dnstap_answers.sql" with { type: "text" };
import m0007 from "../../sql/migrations/0007_federation.sql" with { type: "text" };
import m0008 from "../../sql/migrations/0008_window_rows.sql" with { type: "text" };
import m0009 from "../../sql/migrations/0009_stats_brin.sql" with { type: "text" };
import m0040 from "../../sql/migrations/0040_client_names.sql" with { type: "text" };

/** One migration: its number, file name and SQL text. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order. The files are imported so compiled binaries carry them. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "0001_init.sql", sql: m0001 },
  { version: 2, name: "0002_statistics.sql", sql: m0002 },
  { version: 3, name: "0003_dnstap.sql", sql: m0003 },
  { version: 4, name: "0004_dropped_days.sql", sql: m0004 },
  { version: 5, name: "0005_latency.sql", sql: m0005 },
  { version: 6, name: "0006_dnstap_answers.sql", sql: m0006 },
  { version: 7, name: "0007_federation.sql", sql: m0007 },
  { version: 8, name: "0008_window_rows.sql", sql: m0008 },
  { version: 9, name: "0009_stats_brin.sql", sql: m0009 },
  { version: 40, name: "0040_client_names.sql", sql: m0040 },
];

/** An applied migration no longer matches its file, or the database is newer than us. */
export class MigrationError extends Error {
  override name = "MigrationError";
}

const LOCK_KEY = 4_243_120_001; // pg_advisory_xact_lock key shared by every process

/** SHA-256 of a migration's text, hex. */
export async function checksumOf(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Result of {@linkcode migrate}. */
export interface MigrateResult {
  applied: string[];
  current: number;
}

/** Apply pending migrations; verify the checksums of applied ones. */
export async function migrate(
  sql: Sql,
  options: { migrations?: readonly Migration[] } = {},
): Promise<MigrateResult> {
  const migrations = options.migrations ?? MIGRATIONS;
  const sums = await Promise.all(migrations.map((m) => checksumOf(m.sql)));
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
    const rows = await tx<{ version: number; name: string; checksum: string }[]>`
      select version, name, checksum from schema_migrations order by version`;
    const known = new Map(rows.map((r) => [r.version, r]));
    for (const r of rows) {
      const i = migrations.findIndex((m) => m.version === r.version);
      if (i < 0) {
        throw new MigrationError(
          `The database has migration ${r.name} that this program does not know: ` +
            "it was migrated by a newer dns-analytics. Run that version (or newer).",
        );
      }
      if (sums[i] !== r.checksum) {
        throw new MigrationError(
          `Migration ${r.name} was changed after it was applied (checksum in database ` +
            `${r.checksum.slice(0, 12)}…, file ${sums[i].slice(0, 12)}…). Migrations are ` +
            "forward-only: restore the original file and put the change in a new migration.",
        );
      }
    }
    const applied: string[] = [];
    for (const [i, m] of migrations.entries()) {
      if (known.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`insert into schema_migrations (version, name, checksum)
               values (${m.version}, ${m.name}, ${sums[i]})`;
      applied.push(m.name);
    }
    return { applied, current: migrations.at(-1)?.version ?? 0 };
  });
}
