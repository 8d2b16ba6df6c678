/**
 * doctor's database checks: PostgreSQL answers with these credentials, and the applied
 * migrations against this program's. Read-only: it never migrates, and it never opens the
 * embedded database (a running serve may hold it).
 *
 * @module
 */
import { type Config, describeDatabase } from "../config.ts";
import { explainDbError, openDatabase } from "../db/connect.ts";
import { checksumOf, MIGRATIONS } from "../db/migrate.ts";
import { checkClientNames } from "./client_names.ts";
import type { Finding } from "./finding.ts";

/** Connect as `config` says and check the server and the schema. */
export async function checkDatabase(config: Readonly<Config>): Promise<Finding[]> {
  const check = "database";
  if (config.database.kind === "embedded") {
    return [{
      level: "warn",
      check,
      message: `no PostgreSQL configured, so the embedded database in ${config.database.dataDir} ` +
        "is used (for trying the program; not opened here, serve may hold it): set DATABASE_URL " +
        "or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD",
    }, ...await checkClientNames(config, null)];
  }
  const db = await openDatabase(config, { applicationName: "dns-analytics doctor", max: 1 });
  try {
    const [info] = await db.sql<
      { who: string; version: string; num: number; schema: string | null; can_create: boolean }[]
    >`select current_user as who, current_setting('server_version') as version,
             current_setting('server_version_num')::int as num, current_schema() as schema,
             coalesce(has_schema_privilege(current_schema(), 'CREATE'), false) as can_create`;
    const [{ has }] = await db.sql<{ has: boolean }[]>`
      select to_regclass('schema_migrations') is not null as has`;
    const applied = has
      ? await db.sql<{ version: number; name: string; checksum: string }[]>`
          select version, name, checksum from schema_migrations order by version`
      : [];
    const findings: Finding[] = [{
      level: info.num >= 150000 ? "ok" : "warn",
      check,
      message: `connected to ${describeDatabase(config.database)} as ${info.who} ` +
        `(PostgreSQL ${info.version})` +
        (info.num >= 150000 ? "" : ": PostgreSQL 15 or newer is what this program is tested on"),
    }];
    findings.push(await checkSchema(applied, { ...info, schema: info.schema ?? "public" }));
    findings.push(...await checkClientNames(config, db.sql));
    return findings;
  } catch (error) {
    return [{ level: "FAIL", check, message: explainDbError(config, error) }];
  } finally {
    await db.close().catch(() => {});
  }
}

async function checkSchema(
  applied: ReadonlyArray<{ version: number; name: string; checksum: string }>,
  role: { who: string; schema: string; can_create: boolean },
): Promise<Finding> {
  const check = "schema";
  const latest = MIGRATIONS.at(-1)!;
  for (const row of applied) {
    const m = MIGRATIONS.find((x) => x.version === row.version);
    if (!m) {
      return {
        level: "FAIL",
        check,
        message: `the database has migration ${row.name}, which this program does not know: ` +
          "a newer dns-analytics migrated it; install that version (or newer)",
      };
    }
    if (await checksumOf(m.sql) !== row.checksum) {
      return {
        level: "FAIL",
        check,
        message: `migration ${row.name} differs from the one applied: this binary was built ` +
          "from edited migrations; install a released build",
      };
    }
  }
  const pending = MIGRATIONS.filter((m) => !applied.some((a) => a.version === m.version));
  if (pending.length === 0) {
    return { level: "ok", check, message: `version ${latest.version} (${latest.name}), current` };
  }
  if (!role.can_create) {
    return {
      level: "FAIL",
      check,
      message: `${pending.length} migration(s) pending, but role ${role.who} cannot create ` +
        `tables in schema ${role.schema}: make it the database owner or grant create ` +
        "(deploy/postgres-setup.sql)",
    };
  }
  const have = applied.length === 0 ? "no tables yet" : `version ${applied.at(-1)!.version}`;
  return {
    level: "warn",
    check,
    message: `${have}, this program has ${latest.version}: ${
      pending.map((m) => m.name).join(", ")
    } pending; serve applies them when it starts (or run: dns-analytics migrate)`,
  };
}
