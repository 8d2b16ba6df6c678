/**
 * `doctor`: check the configuration, the database (without migrating it), the log files or
 * dnstap target and named.conf, and say what to change. Read-only: it creates, migrates and
 * writes nothing, and it never opens the embedded database (a running serve may hold it).
 *
 * @module
 */
import { dirname } from "node:path";
import { userInfo } from "node:os";
import process from "node:process";
import { type Config, describeDatabase } from "../lib/config.ts";
import { explainDbError, openDatabase } from "../lib/db/connect.ts";
import { checksumOf, MIGRATIONS } from "../lib/db/migrate.ts";
import { checkNamedConf, type Finding } from "../lib/doctor.ts";
import { isDnstapFileTarget } from "../lib/dnstap/follow.ts";
import { loadNamedConf } from "../lib/named_conf.ts";
import { checkClientNames } from "../lib/names/doctor_names.ts";

/** BIND's configuration on Debian and Ubuntu. */
export const DEFAULT_NAMED_CONF = "/etc/bind/named.conf";

/** The user the systemd unit runs as (deploy/dns-analytics.service). */
export const SERVICE_USER = "dns-analytics";

/** Options of {@linkcode doctor}. */
export interface DoctorOptions {
  /** Loads the configuration; a throw becomes a FAIL finding. */
  loadConfig: () => Readonly<Config>;
  /** named.conf given with --named-conf (a missing one is then a FAIL, not a warn). */
  namedConf?: string;
  /** Checks file access as this user (root only; default the service user when it exists). */
  serviceUser?: string;
}

/** The findings, and whether any is a FAIL. */
export interface DoctorResult {
  findings: Finding[];
  failed: boolean;
}

/** Run every check; never throws for what it checks. */
export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const findings: Finding[] = [];
  let config: Readonly<Config> | null = null;
  try {
    config = options.loadConfig();
    findings.push({
      level: "ok",
      check: "config",
      message: `node ${config.node}, source ${config.source}, database ` +
        `${describeDatabase(config.database)}, log zone ${config.logTz}`,
    });
  } catch (error) {
    findings.push({
      level: "FAIL",
      check: "config",
      message: (error instanceof Error ? error.message : String(error)).replaceAll("\n", " "),
    });
  }
  if (config) {
    findings.push(...await checkDatabase(config));
    const reader = await fileReader(options.serviceUser);
    if (reader.note) findings.push(reader.note);
    findings.push(...await checkSources(config, reader));
  }
  findings.push(...await checkNamed(config, options.namedConf));
  return { findings, failed: findings.some((f) => f.level === "FAIL") };
}

async function checkDatabase(config: Readonly<Config>): Promise<Finding[]> {
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

type Access = "ok" | "missing" | "denied" | "not-file" | "not-dir";

interface FileReader {
  user: string;
  note?: Finding;
  probe(path: string, kind: "file" | "dir"): Promise<Access>;
}

/** Probe access as this process, or as the service user when root can switch to it. */
async function fileReader(serviceUser?: string): Promise<FileReader> {
  const self = userInfo().username;
  const own: FileReader["probe"] = async (path, kind) => {
    try {
      if (kind === "dir") {
        for await (const _ of Deno.readDir(path)) break;
      } else {
        (await Deno.open(path, { read: true })).close();
      }
      return "ok";
    } catch (error) {
      return error instanceof Deno.errors.NotFound ? "missing" : "denied";
    }
  };
  // stat first, as this process: "missing" and "not a file" are told apart from "denied".
  const wrap = (probe: FileReader["probe"]): FileReader["probe"] => {
    return async (path, kind) => {
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(path);
      } catch (error) {
        return error instanceof Deno.errors.NotFound ? "missing" : "denied";
      }
      if (kind === "file" && !info.isFile) return "not-file";
      if (kind === "dir" && !info.isDirectory) return "not-dir";
      return await probe(path, kind);
    };
  };
  if (process.getuid?.() !== 0) return { user: self, probe: wrap(own) };
  const user = serviceUser ?? SERVICE_USER;
  const known = await Deno.readTextFile("/etc/passwd")
    .then((t) => t.split("\n").some((l) => l.startsWith(`${user}:`)))
    .catch(() => false);
  const runuser = await Deno.stat("/usr/sbin/runuser").then(() => true, () => false);
  if (!known || !runuser) {
    return {
      user: self,
      probe: wrap(own),
      note: {
        level: "warn",
        check: "access",
        message:
          `running as root and ${
            known ? "runuser is missing" : `user ${user} does not exist`
          }: file access below is root's, which reads everything; install the service ` +
          "(deploy/install.sh) and run doctor again",
      },
    };
  }
  const asUser: FileReader["probe"] = async (path, kind) => {
    const test = kind === "dir" ? ["-r", path, "-a", "-x", path] : ["-r", path];
    const out = await new Deno.Command("/usr/sbin/runuser", {
      args: ["-u", user, "--", "test", ...test],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? "ok" : "denied";
  };
  return {
    user,
    probe: wrap(asUser),
    note: { level: "ok", check: "access", message: `file access checked as user ${user}` },
  };
}

function aclHint(user: string, path: string): string {
  const dir = dirname(path);
  return `run deploy/install.sh, or: setfacl -m u:${user}:rx ${dir}; ` +
    `setfacl -d -m u:${user}:r ${dir}; setfacl -m u:${user}:r ${dir}/*`;
}

async function checkLogFile(path: string, key: string, reader: FileReader): Promise<Finding[]> {
  const check = `log ${key}`;
  const dir = dirname(path);
  const dirAccess = await reader.probe(dir, "dir");
  if (dirAccess === "missing") {
    return [{
      level: "FAIL",
      check,
      message: `directory ${dir} does not exist: create it for named (owner bind) and point ` +
        `the logging channel there, or set ${key} to the file named writes`,
    }];
  }
  if (dirAccess !== "ok") {
    return [{
      level: "FAIL",
      check,
      message: `cannot list ${dir} as ${reader.user} (needed to follow rotations): ` +
        aclHint(reader.user, path),
    }];
  }
  const access = await reader.probe(path, "file");
  const fail = (message: string): Finding[] => [{ level: "FAIL", check, message }];
  if (access === "missing") {
    return fail(
      `${path} does not exist: check that named.conf's channel writes it (then rndc ` +
        `reconfig) and that named has logged since, or set ${key} to the file it writes`,
    );
  }
  if (access === "not-file") return fail(`${path} is not a regular file: set ${key} to the log`);
  if (access !== "ok") {
    return fail(`cannot read ${path} as ${reader.user}: ${aclHint(reader.user, path)}`);
  }
  const findings: Finding[] = [{ level: "ok", check, message: `${path} is readable` }];
  const base = path.slice(dir.length + 1);
  const unreadable: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.startsWith(`${base}.`)) continue;
    if (await reader.probe(`${dir}/${e.name}`, "file") !== "ok") unreadable.push(e.name);
  }
  if (unreadable.length > 0) {
    findings.push({
      level: "warn",
      check,
      message: `rotated files ${unreadable.slice(0, 5).join(", ")} in ${dir} are not readable ` +
        `by ${reader.user} (a backlog in them would be skipped): ${aclHint(reader.user, path)}`,
    });
  }
  return findings;
}

async function checkSources(config: Readonly<Config>, reader: FileReader): Promise<Finding[]> {
  if (config.source === "querylog") {
    return [
      ...await checkLogFile(config.queryLog, "DNSA_QUERY_LOG", reader),
      ...await checkLogFile(config.errorLog, "DNSA_ERROR_LOG", reader),
    ];
  }
  const check = "dnstap DNSA_DNSTAP";
  if (!config.dnstap) {
    return [{
      level: "FAIL",
      check,
      message: "DNSA_SOURCE=dnstap needs DNSA_DNSTAP: the socket named's dnstap-output unix " +
        "names (e.g. /run/dns-analytics/dnstap.sock) or the file of dnstap-output file",
    }];
  }
  if (await isDnstapFileTarget(config.dnstap)) return checkLogFile(config.dnstap, check, reader);
  const dir = dirname(config.dnstap);
  const access = await reader.probe(dir, "dir");
  if (access !== "ok") {
    return [{
      level: "FAIL",
      check,
      message: `socket directory ${dir} ${
        access === "missing" ? "does not exist" : `is not usable by ${reader.user}`
      }: under systemd RuntimeDirectory=dns-analytics creates /run/dns-analytics`,
    }];
  }
  return [{
    level: "ok",
    check,
    message: `serve listens on the unix socket ${config.dnstap} (named's user must be in ` +
      `group ${SERVICE_USER} to connect: deploy/install.sh --dnstap)`,
  }];
}

async function checkNamed(config: Readonly<Config> | null, explicit?: string): Promise<Finding[]> {
  const path = explicit ?? DEFAULT_NAMED_CONF;
  let conf;
  try {
    conf = await loadNamedConf(path);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound;
    return [{
      level: explicit ? "FAIL" : "warn",
      check: "named.conf",
      message: `cannot read ${path}: ${missing ? "no such file" : String(error)}` +
        (explicit ? "" : " (BIND elsewhere? name its configuration with --named-conf PATH)"),
    }];
  }
  return [
    { level: "ok", check: "named.conf", message: `read ${conf.files.join(", ")}` },
    ...checkNamedConf(conf, {
      source: config?.source ?? "querylog",
      queryLog: config?.queryLog,
      errorLog: config?.errorLog,
      dnstap: config?.dnstap,
    }),
  ];
}
