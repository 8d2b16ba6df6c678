/**
 * doctor's checks of what serve reads: the query log and query-errors log (and their rotated
 * files), or the dnstap file or socket directory.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Config } from "../config.ts";
import { isDnstapFileTarget } from "../dnstap/follow.ts";
import { aclHint, type FileReader, SERVICE_USER } from "./file_access.ts";
import type { Finding } from "./finding.ts";

/** `path` (a log `key` names) and its directory are readable, its rotated files too. */
export async function checkLogFile(
  path: string,
  key: string,
  reader: FileReader,
): Promise<Finding[]> {
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

/** The sources of `config`: both logs, or the dnstap target. */
export async function checkSources(
  config: Readonly<Config>,
  reader: FileReader,
): Promise<Finding[]> {
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
