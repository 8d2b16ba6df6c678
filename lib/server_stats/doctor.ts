/**
 * doctor's check of named's statistics channel: that DNSA_NAMED_STATS answers with named's
 * JSON statistics, and that the channel's port is not DNSA_HTTP's (both default to
 * loopback: named's `statistics-channels` on 8053 would take this program's dashboard port).
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { Finding } from "../doctor/finding.ts";
import { argsOf, blockOf, findAll, type LoadedNamedConf, wordAfter } from "../named_conf.ts";
import { readServerCounters } from "./channel.ts";

/** A `statistics-channels { inet ADDR port P ...; }` entry of named.conf. */
export interface StatsChannel {
  address: string;
  /** BIND's default for the statistics channel is 80. */
  port: number;
}

/** The statistics channels named.conf declares. */
export function statsChannelsOf(conf: LoadedNamedConf): StatsChannel[] {
  const out: StatsChannel[] = [];
  for (const s of findAll(conf.statements, "statistics-channels")) {
    for (const inet of findAll(blockOf(s), "inet")) {
      const address = argsOf(inet)[0] ?? "*";
      out.push({ address, port: Number(wordAfter(inet, "port") ?? 80) });
    }
  }
  return out;
}

const ANY = new Set(["*", "0.0.0.0", "::"]);

function sameListener(a: { host: string; port: number }, b: { host: string; port: number }) {
  if (a.port !== b.port) return false;
  const h = (x: string) => x.replace(/^\[|\]$/g, "").toLowerCase();
  const local = (x: string) => x === "localhost" ? "127.0.0.1" : x;
  return ANY.has(h(a.host)) || ANY.has(h(b.host)) || local(h(a.host)) === local(h(b.host));
}

/** Options of {@linkcode checkStatsChannel}. */
export interface StatsChannelCheckOptions {
  /** named.conf as read (null when it could not be). */
  conf: LoadedNamedConf | null;
  /** Fetch timeout, ms (default 3000). */
  timeoutMs?: number;
}

/** The findings about the statistics channel; never throws. */
export async function checkStatsChannel(
  config: Pick<Config, "namedStats" | "http">,
  options: StatsChannelCheckOptions,
): Promise<Finding[]> {
  const check = "statistics channel";
  const findings: Finding[] = [];
  const declared = options.conf ? statsChannelsOf(options.conf) : [];
  for (const c of declared) {
    if (sameListener({ host: c.address, port: c.port }, config.http)) {
      findings.push({
        level: "FAIL",
        check,
        message: `named.conf's statistics-channels (inet ${c.address} port ${c.port}) and ` +
          `DNSA_HTTP (${config.http.host}:${config.http.port}) use the same port: give ` +
          "named's channel another port (e.g. inet 127.0.0.1 port 8080) or change DNSA_HTTP",
      });
    }
  }
  if (!config.namedStats) {
    const c = declared[0];
    findings.push({
      level: "warn",
      check,
      message: c
        ? `named.conf has statistics-channels on ${c.address} port ${c.port} but ` +
          `DNSA_NAMED_STATS is not set: set DNSA_NAMED_STATS=http://${
            ANY.has(c.address) ? "127.0.0.1" : c.address
          }:${c.port} for server-wide rcodes (NXDOMAIN), rate-limit drops and cache hits`
        : "DNSA_NAMED_STATS is not set, so NXDOMAIN shares, rate-limit drops and cache hits " +
          "are unknown with the query log: add to named.conf statistics-channels { inet " +
          "127.0.0.1 port 8080 allow { 127.0.0.1; }; }; and set " +
          "DNSA_NAMED_STATS=http://127.0.0.1:8080",
    });
    return findings;
  }
  const url = new URL(config.namedStats);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  if (sameListener({ host: url.hostname, port }, config.http)) {
    findings.push({
      level: "FAIL",
      check,
      message: `DNSA_NAMED_STATS (${config.namedStats}) points at DNSA_HTTP, this program's ` +
        "own port: named's statistics channel needs a port of its own (e.g. 8080)",
    });
    return findings;
  }
  try {
    const sample = await readServerCounters(config.namedStats, {
      timeoutMs: options.timeoutMs ?? 3000,
    });
    findings.push({
      level: "ok",
      check,
      message: `${config.namedStats} answers with named's statistics ` +
        `(${Object.keys(sample.counters).length} counters above zero)`,
    });
  } catch (error) {
    findings.push({
      level: "FAIL",
      check,
      message: (error instanceof Error ? error.message : String(error)).replaceAll("\n", " "),
    });
  }
  return findings;
}
