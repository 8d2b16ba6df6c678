/**
 * The checks of `dns-analytics doctor` over named.conf: what BIND must log, and how, for this
 * program to see every query. Each check returns findings (`ok`, `warn`, `FAIL`) whose message
 * says what to change; the logging channels are read and checked in named_logging.ts.
 *
 * @example
 * ```ts
 * const conf = await loadNamedConf("/etc/bind/named.conf");
 * for (const f of checkNamedConf(conf, { source: "querylog" })) console.log(formatFinding(f));
 * ```
 * @module
 */
import type { Config } from "../config.ts";
import {
  argsOf,
  blockOf,
  type ConfStatement,
  findAll,
  type LoadedNamedConf,
  loadNamedConf,
  nameOf,
} from "../named_conf.ts";
import type { Finding } from "./finding.ts";
import { checkStatsChannel } from "../server_stats/doctor.ts";
import {
  checkQueryChannels,
  checkRotation,
  FALSE_WORDS,
  fileChannelsOf,
  type LoggingModel,
  type LogTargets,
  optionsBlock,
  optionWord,
  readLogging,
} from "./named_logging.ts";

/** BIND's configuration on Debian and Ubuntu. */
export const DEFAULT_NAMED_CONF = "/etc/bind/named.conf";

const LAN_EXAMPLE = "exempt-clients { 192.168.238.0/24; 10.10.10.0/24; 127.0.0.0/8; ::1; };";

/** Options of {@linkcode checkNamedConf}: what the program is configured to read. */
export interface NamedConfCheckOptions extends LogTargets {
  dnstap?: string | null;
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
 * Read named.conf (`explicit`, else {@linkcode DEFAULT_NAMED_CONF}) with its includes and check
 * it against `config` (null: the configuration did not load; the defaults are assumed).
 */
export async function checkNamed(
  config: Readonly<Config> | null,
  explicit?: string,
): Promise<Finding[]> {
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
    }, ...(config ? await checkStatsChannel(config, { conf: null }) : [])];
  }
  return [
    { level: "ok", check: "named.conf", message: `read ${conf.files.join(", ")}` },
    ...checkNamedConf(conf, {
      source: config?.source ?? "querylog",
      queryLog: config?.queryLog,
      errorLog: config?.errorLog,
      dnstap: config?.dnstap,
    }),
    ...(config ? await checkStatsChannel(config, { conf }) : []),
  ];
}
