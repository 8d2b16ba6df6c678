/**
 * `dns-analytics doctor`: check the configuration, the database (without migrating it), the
 * log files or dnstap target, the bus (DNSA_BUS) and named.conf, and say what to change. Read-only: it creates,
 * migrates and writes nothing, and it never opens the embedded database (a running serve may
 * hold it).
 *
 * @example
 * ```ts
 * const result = await doctor({ loadConfig: () => loadConfig({ env: Deno.env.toObject() }) });
 * for (const f of result.findings) console.log(formatFinding(f));
 * ```
 * @module
 */
import { type Config, describeDatabase } from "../config.ts";
import { isEdgeMode } from "../bus/config.ts";
import { checkBus } from "./bus.ts";
import { checkDatabase } from "./database.ts";
import { fileReader } from "./file_access.ts";
import type { Finding } from "./finding.ts";
import { checkNamed } from "./named_conf.ts";
import { checkServePaused } from "./serve_paused.ts";
import { checkSources } from "./sources.ts";

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
    // An edge has no database: its bus check says so.
    if (!isEdgeMode(config)) findings.push(...await checkDatabase(config));
    const reader = await fileReader(options.serviceUser);
    if (reader.note) findings.push(reader.note);
    findings.push(...await checkSources(config, reader));
    findings.push(await checkServePaused(config));
    findings.push(...await checkBus(config));
  }
  findings.push(...await checkNamed(config, options.namedConf));
  return { findings, failed: findings.some((f) => f.level === "FAIL") };
}
