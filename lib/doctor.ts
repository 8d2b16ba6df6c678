/**
 * The checks of `dns-analytics doctor` over named.conf: what BIND must log, and how, for this
 * program to see every query. Each check returns findings (`ok`, `warn`, `FAIL`) whose message
 * says what to change. `jobs/doctor.ts` adds the configuration, database and log-file checks.
 *
 * @example
 * ```ts
 * const conf = await loadNamedConf("/etc/bind/named.conf");
 * for (const f of checkNamedConf(conf, { source: "querylog" })) console.log(formatFinding(f));
 * ```
 * @module
 */
import { isAbsolute, join } from "node:path";
import {
  argsOf,
  blockOf,
  type ConfStatement,
  findAll,
  type LoadedNamedConf,
  nameOf,
  wordAfter,
} from "./named_conf.ts";

/** How bad a finding is: `FAIL` makes doctor exit 1. */
export type FindingLevel = "ok" | "warn" | "FAIL";

/** One line of doctor's output. */
export interface Finding {
  level: FindingLevel;
  /** What was checked: `config`, `database`, `named.conf queries`… */
  check: string;
  /** What was found and, unless ok, what to change. */
  message: string;
}

/** `FAIL  database: …`: the level padded so the messages line up. */
export function formatFinding(f: Finding): string {
  return `${f.level.padEnd(4)}  ${f.check}: ${f.message}`;
}

/** A logging channel of named.conf, as far as doctor cares. */
export interface LogChannel {
  name: string;
  /** The file, made absolute against `options { directory }`; absent for syslog/stderr/null. */
  file?: string;
  versions?: string;
  size?: string;
  printTime?: string;
  severity?: string;
  where: string;
}

/** The logging statement read: channels by name and the channels of each category. */
export interface LoggingModel {
  channels: Map<string, LogChannel>;
  categories: Map<string, string[]>;
}

const FALSE_WORDS = new Set(["no", "false", "0"]);
const QUIET_SEVERITIES = new Set(["critical", "error", "warning", "notice"]);
const LAN_EXAMPLE = "exempt-clients { 192.168.238.0/24; 10.10.10.0/24; 127.0.0.0/8; ::1; };";

function optionsBlock(statements: readonly ConfStatement[]): ConfStatement[] {
  return findAll(statements, "options").flatMap(blockOf);
}

function optionWord(block: readonly ConfStatement[], name: string): string | undefined {
  return findAll(block, name).map((s) => argsOf(s)[0]).find((v) => v !== undefined);
}

/** Channels and categories of every `logging` statement; file names made absolute. */
export function readLogging(statements: readonly ConfStatement[]): LoggingModel {
  const directory = optionWord(optionsBlock(statements), "directory") ?? "/";
  const channels = new Map<string, LogChannel>();
  const categories = new Map<string, string[]>();
  for (const logging of findAll(statements, "logging")) {
    for (const s of findAll(blockOf(logging), "channel")) {
      const name = argsOf(s)[0] ?? "";
      const body = blockOf(s);
      const fileStmt = findAll(body, "file")[0];
      const fileName = fileStmt ? argsOf(fileStmt)[0] : undefined;
      channels.set(name, {
        name,
        file: fileName === undefined
          ? undefined
          : isAbsolute(fileName)
          ? fileName
          : join(directory, fileName),
        versions: fileStmt && wordAfter(fileStmt, "versions"),
        size: fileStmt && wordAfter(fileStmt, "size"),
        printTime: optionWord(body, "print-time"),
        severity: optionWord(body, "severity"),
        where: `${s.file}:${s.line}`,
      });
    }
    for (const s of findAll(blockOf(logging), "category")) {
      const names = blockOf(s).map(nameOf).filter(Boolean);
      categories.set((argsOf(s)[0] ?? "").toLowerCase(), names);
    }
  }
  return { channels, categories };
}

/** Options of {@linkcode checkNamedConf}: what the program is configured to read. */
export interface NamedConfCheckOptions {
  source: "querylog" | "dnstap";
  queryLog?: string;
  errorLog?: string;
  dnstap?: string | null;
  /** What DNSA_DNSTAP names (`unix:` = socket); checked against named's dnstap-output. */
  dnstapKind?: "socket" | "file";
}

/** Every named.conf finding: logging, rotation, rate limiting, dnstap. */
export function checkNamedConf(conf: LoadedNamedConf, options: NamedConfCheckOptions): Finding[] {
  const findings: Finding[] = [];
  for (const p of conf.problems) {
    findings.push({
      level: "warn",
      check: "named.conf",
      message: `${p.file}:${p.line}: ${p.message} (checks below may be incomplete; ` +
        "run named-checkconf)",
    });
  }
  const logging = readLogging(conf.statements);
  if (options.source === "querylog") {
    findings.push(...checkQueryChannels(conf.statements, logging, options));
  } else {
    findings.push({
      level: "ok",
      check: "named.conf queries",
      message: "query log not read (DNSA_SOURCE=dnstap)",
    });
  }
  findings.push(checkRotation(logging, options));
  findings.push(...checkRateLimit(conf.statements));
  findings.push(checkDnstap(conf.statements, logging, options));
  return findings;
}

function fileChannelsOf(logging: LoggingModel, category: string): LogChannel[] {
  return (logging.categories.get(category) ?? [])
    .map((n) => logging.channels.get(n))
    .filter((c): c is LogChannel => c?.file !== undefined);
}

function channelProblems(c: LogChannel, what: string): string[] {
  const out: string[] = [];
  if (c.printTime === undefined || FALSE_WORDS.has(c.printTime.toLowerCase())) {
    out.push(`add 'print-time yes;' to channel ${c.name} (${c.where}): ${what} lines need a time`);
  }
  if (c.severity && QUIET_SEVERITIES.has(c.severity.toLowerCase())) {
    out.push(
      `channel ${c.name} has 'severity ${c.severity}', which drops ${what} lines (logged at ` +
        "info): use 'severity dynamic;' or 'severity info;'",
    );
  }
  if (c.size !== undefined && c.versions === undefined) {
    out.push(
      `channel ${c.name} has 'size ${c.size}' without 'versions': named stops writing when the ` +
        "file reaches that size; add 'versions 7'",
    );
  }
  return out;
}

function checkQueryChannels(
  statements: readonly ConfStatement[],
  logging: LoggingModel,
  options: NamedConfCheckOptions,
): Finding[] {
  const findings: Finding[] = [];
  const check = "named.conf queries";
  const channelExample = 'channel queries_log { file "/var/log/named/queries.log" versions 7 ' +
    "size 100m; severity dynamic; print-time yes; }; category queries { queries_log; };";
  const querylog = optionWord(optionsBlock(statements), "querylog");
  const queries = fileChannelsOf(logging, "queries");
  if (querylog !== undefined && FALSE_WORDS.has(querylog.toLowerCase())) {
    findings.push({
      level: "FAIL",
      check,
      message:
        "'querylog no;' in options turns the query log off: remove it or set 'querylog yes;'",
    });
  } else if (!logging.categories.has("queries")) {
    findings.push({
      level: "FAIL",
      check,
      message:
        `no 'category queries' in logging, so BIND writes no query log: add ${channelExample}`,
    });
  } else if (queries.length === 0) {
    findings.push({
      level: "FAIL",
      check,
      message: `category queries goes to ${
        (logging.categories.get("queries") ?? []).join(", ") || "nothing"
      }, not to a file channel: add ${channelExample}`,
    });
  } else {
    const c = queries[0];
    const problems = channelProblems(c, "query");
    if (options.queryLog !== undefined && !queries.some((q) => q.file === options.queryLog)) {
      problems.push(
        `named writes the query log to ${c.file} but DNSA_QUERY_LOG is ${options.queryLog}: ` +
          "set DNSA_QUERY_LOG to the channel's file",
      );
    }
    findings.push(
      ...problems.map((message) => ({ level: "FAIL" as const, check, message })),
    );
    if (problems.length === 0) {
      findings.push({
        level: "ok",
        check,
        message: `category queries → ${c.file} (channel ${c.name}, print-time ${c.printTime})`,
      });
    }
  }
  findings.push(...checkErrorChannel(logging, queries, options));
  return findings;
}

function checkErrorChannel(
  logging: LoggingModel,
  queries: LogChannel[],
  options: NamedConfCheckOptions,
): Finding[] {
  const check = "named.conf query-errors";
  const errors = fileChannelsOf(logging, "query-errors");
  const example = 'channel errors_log { file "/var/log/named/query-errors.log" versions 4 ' +
    "size 100m; severity dynamic; print-time yes; }; category query-errors { errors_log; };";
  if (errors.length === 0) {
    return [{
      level: "FAIL",
      check,
      message: (logging.categories.has("query-errors")
        ? "category query-errors does not go to a file channel"
        : "no 'category query-errors' in logging") +
        `, so SERVFAIL and REFUSED answers are never recorded: add ${example}`,
    }];
  }
  const c = errors[0];
  if (queries.some((q) => q.file === c.file)) {
    return [{
      level: "warn",
      check,
      message: `query-errors shares ${c.file} with the query log: the lines are told apart, but ` +
        `give it a separate channel (${example}) and set DNSA_ERROR_LOG to its file`,
    }];
  }
  const problems = channelProblems(c, "query-errors");
  if (options.errorLog !== undefined && !errors.some((e) => e.file === options.errorLog)) {
    problems.push(
      `named writes query-errors to ${c.file} but DNSA_ERROR_LOG is ${options.errorLog}: ` +
        "set DNSA_ERROR_LOG to the channel's file",
    );
  }
  if (problems.length > 0) return problems.map((message) => ({ level: "FAIL", check, message }));
  return [{
    level: "ok",
    check,
    message: `category query-errors → ${c.file} (separate channel ${c.name})`,
  }];
}

function checkRotation(logging: LoggingModel, options: NamedConfCheckOptions): Finding {
  const check = "named.conf rotation";
  const read = new Set(
    options.source === "querylog"
      ? [...fileChannelsOf(logging, "queries"), ...fileChannelsOf(logging, "query-errors")]
        .map((c) => c.name)
      : [],
  );
  const bad = [...logging.channels.values()].filter((c) =>
    c.file !== undefined && c.versions !== undefined && c.size === undefined
  );
  if (bad.length === 0) {
    return { level: "ok", check, message: "every file channel with 'versions' has a 'size'" };
  }
  const fatal = bad.some((c) => read.has(c.name));
  return {
    level: fatal ? "FAIL" : "warn",
    check,
    message: bad.map((c) => `channel ${c.name} (${c.where})`).join(", ") +
      " has 'versions' without 'size': named rolls the file only at start and reload and " +
      "it grows without bound in between; add 'size 100m' after 'versions'",
  };
}

/** Each scope where rate-limit applies: options, and every view (which inherits options). */
function checkRateLimit(statements: readonly ConfStatement[]): Finding[] {
  const check = "named.conf rate-limit";
  const options = optionsBlock(statements);
  const scopes: Array<{ name: string; block: ConfStatement[] }> = [];
  const views = findAll(statements, "view");
  if (views.length === 0) scopes.push({ name: "options", block: options });
  for (const v of views) scopes.push({ name: `view ${argsOf(v)[0]}`, block: blockOf(v) });
  const findings: Finding[] = [];
  for (const scope of scopes) {
    const rrl = findAll(scope.block, "rate-limit")[0] ?? findAll(options, "rate-limit")[0];
    const recursion = optionWord(scope.block, "recursion") ?? optionWord(options, "recursion") ??
      "yes";
    if (!rrl) continue;
    if (FALSE_WORDS.has(recursion.toLowerCase())) continue;
    if (findAll(blockOf(rrl), "exempt-clients").length > 0) continue;
    findings.push({
      level: "warn",
      check,
      message: `rate-limit in ${scope.name} of a recursive resolver (${rrl.file}:${rrl.line}) ` +
        "has no exempt-clients: every LAN client in one /24 shares one bucket and answers get " +
        `dropped; add ${LAN_EXAMPLE}`,
    });
  }
  if (findings.length > 0) return findings;
  return [{
    level: "ok",
    check,
    message: "no rate-limit on a recursive resolver without exempt-clients",
  }];
}

function checkDnstap(
  statements: readonly ConfStatement[],
  logging: LoggingModel,
  options: NamedConfCheckOptions,
): Finding {
  const check = "named.conf dnstap";
  const opts = optionsBlock(statements);
  const scopes = [opts, ...findAll(statements, "view").map(blockOf)];
  const dnstap = scopes.flatMap((b) => findAll(b, "dnstap"));
  const withResponses = dnstap.some((d) =>
    blockOf(d).some((s) => {
      const [who, what] = [nameOf(s), (argsOf(s)[0] ?? "").toLowerCase()];
      return (who === "client" || who === "all") && (what === "" || what === "response");
    })
  );
  const output = findAll(opts, "dnstap-output")[0];
  const outputPath = output ? argsOf(output)[1] : undefined;
  const example = "options { dnstap { client query; client response; }; " +
    'dnstap-output unix "/run/dns-analytics/dnstap.sock"; };';
  const responseLog = optionWord(opts, "responselog");
  const hasResponseLog = (responseLog !== undefined && !FALSE_WORDS.has(responseLog)) ||
    fileChannelsOf(logging, "responses").length > 0;
  if (options.source === "dnstap") {
    if (!withResponses || !output) {
      return {
        level: "FAIL",
        check,
        message: "DNSA_SOURCE=dnstap but named has no dnstap of client responses with a " +
          `dnstap-output: add ${example}`,
      };
    }
    if (options.dnstap && outputPath !== options.dnstap) {
      return {
        level: "FAIL",
        check,
        message: `named sends dnstap to ${outputPath} but DNSA_DNSTAP is ${options.dnstap}: ` +
          "make them the same path",
      };
    }
    const mismatch = dnstapKindMismatch(output ? argsOf(output)[0] : undefined, options);
    if (mismatch) return { level: "FAIL", check, message: mismatch };
    return { level: "ok", check, message: `client responses → ${outputPath}` };
  }
  if (hasResponseLog) {
    return { level: "ok", check, message: "response logging on: NXDOMAIN answers are logged" };
  }
  if (withResponses && output) {
    return {
      level: "warn",
      check,
      message: `named sends dnstap to ${outputPath} but DNSA_SOURCE=querylog reads the logs: ` +
        `set DNSA_SOURCE=dnstap and DNSA_DNSTAP=${outputPath} for exact NXDOMAIN counts`,
    };
  }
  return {
    level: "warn",
    check,
    message: "no dnstap: the query log never says NXDOMAIN, so NXDOMAIN counts stay empty; " +
      `they need dnstap (${example}) or BIND >= 9.20.3 response logging`,
  };
}

/**
 * named's `dnstap-output unix|file` against DNSA_DNSTAP's kind (`unix:` = socket): a socket
 * named writes to that this program follows as a file (or the reverse) is never read.
 */
export function dnstapKindMismatch(
  mode: string | undefined,
  options: { dnstap?: string | null; dnstapKind?: "socket" | "file" },
): string | null {
  if (!options.dnstapKind || !options.dnstap || !mode) return null;
  const named = mode.toLowerCase() === "unix" ? "socket" : "file";
  if (named === options.dnstapKind) return null;
  return named === "socket"
    ? `named writes dnstap to the unix socket ${options.dnstap}, but DNSA_DNSTAP has no ` +
      `"unix:" and names a file to follow: set DNSA_DNSTAP=unix:${options.dnstap}`
    : `named writes dnstap to the file ${options.dnstap}, but DNSA_DNSTAP=unix:… listens on a ` +
      `socket: set DNSA_DNSTAP=${options.dnstap}`;
}
