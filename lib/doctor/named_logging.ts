/**
 * named.conf's logging statement as doctor reads it (channels, categories, file names made
 * absolute), and the checks of the channels this program reads: the query log, the
 * query-errors log, and their rotation.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { Finding } from "./finding.ts";
import { argsOf, blockOf, type ConfStatement, findAll, nameOf, wordAfter } from "../named_conf.ts";

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

/** Words that turn a named.conf boolean off. */
export const FALSE_WORDS = new Set(["no", "false", "0"]);
const QUIET_SEVERITIES = new Set(["critical", "error", "warning", "notice"]);

/** The statements inside every `options` block. */
export function optionsBlock(statements: readonly ConfStatement[]): ConfStatement[] {
  return findAll(statements, "options").flatMap(blockOf);
}

/** The first argument of statement `name` in `block`. */
export function optionWord(block: readonly ConfStatement[], name: string): string | undefined {
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

/** What the program is configured to read from named's logs. */
export interface LogTargets {
  source: "querylog" | "dnstap";
  queryLog?: string;
  errorLog?: string;
}

/** The file channels category `category` writes to. */
export function fileChannelsOf(logging: LoggingModel, category: string): LogChannel[] {
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

/** The query log's and the query-errors log's channels. */
export function checkQueryChannels(
  statements: readonly ConfStatement[],
  logging: LoggingModel,
  options: LogTargets,
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
  options: LogTargets,
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

/** Every file channel with `versions` needs a `size`; FAIL for the channels this program reads. */
export function checkRotation(logging: LoggingModel, options: LogTargets): Finding {
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
