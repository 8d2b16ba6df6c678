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
import m0010 from "../../sql/migrations/0010_report_scope.sql" with { type: "text" };
import m0020 from "../../sql/migrations/0020_server_counters.sql" with { type: "text" };
import m0021 from "../../sql/migrations/0021_seed_origin.sql" with { type: "text" };
import m0022 from "../../sql/migrations/0022_reader_raw_privileges.sql" with { type: "text" };
import m0023 from "../../sql/migrations/0023_privacy_tiers.sql" with { type: "text" };
import m0024 from "../../sql/migrations/0024_client_names.sql" with { type: "text" };
import m0025 from "../../sql/migrations/0025_bus_applied.sql" with { type: "text" };
import m0026 from "../../sql/migrations/0026_partition_zones.sql" with { type: "text" };
import m0027 from "../../sql/migrations/0027_query_blocks.sql" with { type: "text" };
import m0028 from "../../sql/migrations/0028_block_compression.sql" with { type: "text" };
import m0030 from "../../sql/migrations/0030_window_rows_narrow.sql" with { type: "text" };
import m0031 from "../../sql/migrations/0031_name_bloom.sql" with { type: "text" };
import m0032 from "../../sql/migrations/0032_packed_partitions.sql" with { type: "text" };
import m0033 from "../../sql/migrations/0033_csv_cell_fast.sql" with { type: "text" };
import m0034 from "../../sql/migrations/0034_block_rows_at.sql" with { type: "text" };
import m0035 from "../../sql/migrations/0035_flag_columns.sql" with { type: "text" };
import m0036 from "../../sql/migrations/0036_block_lz4.sql" with { type: "text" };
import m0037 from "../../sql/migrations/0037_client_buckets.sql" with { type: "text" };
import m0038 from "../../sql/migrations/0038_apex_bloom.sql" with { type: "text" };
import {
  convertSeed,
  moveSeedAside,
  planSeedConversion,
  type SeedPlan,
  type SeedResult,
} from "../seed/convert.ts";

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
  { version: 10, name: "0010_report_scope.sql", sql: m0010 },
  { version: 20, name: "0020_server_counters.sql", sql: m0020 },
  { version: 21, name: "0021_seed_origin.sql", sql: m0021 },
  { version: 22, name: "0022_reader_raw_privileges.sql", sql: m0022 },
  { version: 23, name: "0023_privacy_tiers.sql", sql: m0023 },
  { version: 24, name: "0024_client_names.sql", sql: m0024 },
  { version: 25, name: "0025_bus_applied.sql", sql: m0025 },
  { version: 26, name: "0026_partition_zones.sql", sql: m0026 },
  { version: 27, name: "0027_query_blocks.sql", sql: m0027 },
  { version: 28, name: "0028_block_compression.sql", sql: m0028 },
  { version: 30, name: "0030_window_rows_narrow.sql", sql: m0030 },
  { version: 31, name: "0031_name_bloom.sql", sql: m0031 },
  { version: 32, name: "0032_packed_partitions.sql", sql: m0032 },
  { version: 33, name: "0033_csv_cell_fast.sql", sql: m0033 },
  { version: 34, name: "0034_block_rows_at.sql", sql: m0034 },
  { version: 35, name: "0035_flag_columns.sql", sql: m0035 },
  { version: 36, name: "0036_block_lz4.sql", sql: m0036 },
  { version: 37, name: "0037_client_buckets.sql", sql: m0037 },
  { version: 38, name: "0038_apex_bloom.sql", sql: m0038 },
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
  /** With dryRun: the migrations that would be applied. */
  pending?: string[];
  /** The seed guide's tables found (lib/seed/convert.ts): the plan, and what was done. */
  seedPlan?: SeedPlan;
  seed?: SeedResult;
}

/** Options of {@linkcode migrate}. */
export interface MigrateOptions {
  migrations?: readonly Migration[];
  /**
   * For a database holding the seed guide's own tables: the node its rows without a node go
   * to (DNSA_NODE) and the zone of days (DNSA_LOG_TZ). Without it such a database is refused.
   */
  seed?: { node: string; tz: string };
  /** Say what would be done, change nothing. */
  dryRun?: boolean;
}

/** Thrown to roll back a dry run. */
class DryRun extends Error {
  constructor(readonly result: MigrateResult) {
    super("dry run");
  }
}

/** Apply pending migrations; verify the checksums of applied ones. */
export async function migrate(
  sql: Sql,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  try {
    return await migrateIn(sql, options);
  } catch (error) {
    if (error instanceof DryRun) return error.result;
    throw error;
  }
}

async function migrateIn(sql: Sql, options: MigrateOptions): Promise<MigrateResult> {
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
    // A database of the seed guide's install: its own tables stand where 0001 creates ours.
    const seed = options.seed ?? { node: "", tz: "UTC" };
    const seedPlan = known.has(1) ? null : await planSeedConversion(tx, seed);
    if (options.dryRun) {
      throw new DryRun({
        applied: [],
        current: rows.at(-1)?.version ?? 0,
        pending: migrations.filter((m) => !known.has(m.version)).map((m) => m.name),
        ...(seedPlan ? { seedPlan } : {}),
      });
    }
    if (seedPlan) {
      if (!options.seed) {
        throw new MigrationError(
          "This database holds the seed guide's tables (dns_queries, dns_daily_stats, " +
            "dns_nodes): run `dns-analytics migrate` to convert them (see --dry-run first).",
        );
      }
      await moveSeedAside(tx, seedPlan);
    }
    // Every pending migration and its schema_migrations row in one statement text (one
    // round trip, not two a migration: ingest parses while they are applied, and each reply
    // waited for its turn of the event loop).
    const pending = migrations.flatMap((m, i) => known.has(m.version) ? [] : [{ m, sum: sums[i] }]);
    const applied = pending.map(({ m }) => m.name);
    if (pending.length > 0) {
      await tx.unsafe(
        pending.map(({ m, sum }) => {
          if (!/^[\w.-]+$/.test(m.name) || !/^[0-9a-f]+$/.test(sum)) {
            throw new Error(`migration name or checksum not plain: ${m.name}`);
          }
          return `${m.sql}\n;\ninsert into schema_migrations (version, name, checksum) ` +
            `values (${m.version}, '${m.name}', '${sum}');\n`;
        }).join(""),
      );
    }
    const converted = seedPlan ? await convertSeed(tx, seedPlan, seed) : undefined;
    return {
      applied,
      current: migrations.at(-1)?.version ?? 0,
      ...(seedPlan ? { seedPlan, seed: converted } : {}),
    };
  });
}
