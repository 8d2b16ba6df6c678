/**
 * The counters a real named keeps of the demo's simulated traffic, as its statistics channel
 * publishes them: `/json/v1/server` in BIND 9.18's JSON (json-stats-version 1.7: `boot-time`,
 * `current-time`, `opcodes`, `rcodes`, `qtypes`, `nsstats`, `views.<view>.resolver.cachestats`,
 * `dnstapstats`) and `/xml/v3/server` in its XML (statistics version 3.11). Fed with every
 * simulated query, so the NXDOMAIN share named reports is exactly the one generated.
 *
 * @example
 * ```ts
 * const counters = new NamedCounters({ dnstap: false });
 * counters.add(query);
 * const json = counters.json(new Date()); // what lib/server_stats reads
 * ```
 * @module
 */
import type { SimulatedQuery } from "./traffic.ts";

type Counts = Record<string, number>;

function bump(into: Counts, key: string, n = 1): void {
  into[key] = (into[key] ?? 0) + n;
}

/** named's counters of the simulated traffic since the demo started. */
export class NamedCounters {
  /** When the simulated named started (`boot-time`). */
  readonly bootTime: Date;
  readonly rcodes: Counts = {};
  readonly qtypes: Counts = {};
  readonly nsstats: Counts = {};
  readonly cachestats: Counts = {};
  readonly dnstapstats: Counts | null;

  constructor(options: { dnstap: boolean; bootTime?: Date }) {
    this.bootTime = options.bootTime ?? new Date();
    this.dnstapstats = options.dnstap ? { DNSTAPsuccess: 0, DNSTAPdropped: 0 } : null;
  }

  /** Count one query and its answer the way named does. */
  add(q: SimulatedQuery): void {
    const ns = this.nsstats, a = q.answer;
    const tcp = q.flags.includes("T");
    bump(ns, q.client.includes(":") ? "Requestv6" : "Requestv4");
    bump(ns, tcp ? "QryTCP" : "QryUDP");
    if (tcp) bump(ns, "ReqTCP");
    if (q.flags.includes("E(")) bump(ns, "ReqEdns0");
    if (q.flags.includes("K")) bump(ns, "CookieIn");
    bump(this.qtypes, q.qtype);
    if (this.dnstapstats) this.dnstapstats.DNSTAPsuccess += a.rrl === "drop" ? 1 : 2;
    if (a.rrl === "drop") {
      bump(ns, "RateDropped");
      return;
    }
    if (a.rrl === "slip") {
      bump(ns, "RateSlipped");
      bump(ns, "Truncated");
    }
    bump(ns, "Response");
    if (q.flags.includes("E(")) bump(ns, "RespEDNS0");
    bump(this.rcodes, a.rcode);
    if (a.cache === "auth") bump(ns, "QryAuthAns");
    else if (a.rcode !== "REFUSED") bump(ns, "QryNoauthAns");
    if (a.cache === "miss") {
      bump(ns, "QryRecursion");
      bump(this.cachestats, "QueryMisses");
      bump(this.cachestats, "CacheMisses", 2);
    } else if (a.cache === "hit") {
      bump(this.cachestats, "QueryHits");
      bump(this.cachestats, "CacheHits");
    }
    if (a.rcode === "NOERROR") bump(ns, "QrySuccess");
    else if (a.rcode === "NXDOMAIN") bump(ns, "QryNXDOMAIN");
    else if (a.rcode === "SERVFAIL") bump(ns, "QrySERVFAIL");
    else if (a.rcode === "REFUSED") bump(ns, "QryRejected");
    if (a.rcode === "SERVFAIL" || a.rcode === "REFUSED") bump(ns, "QryFailure");
  }

  /** The JSON named 9.18 answers on `/json/v1/server` at `now`. */
  json(now: Date): Record<string, unknown> {
    const upstream = this.nsstats.QryRecursion ?? 0;
    return {
      "json-stats-version": "1.7",
      "boot-time": this.bootTime.toISOString(),
      "config-time": this.bootTime.toISOString(),
      "current-time": now.toISOString(),
      version: "9.18.49-1~deb12u3-Debian (simulated by dns-analytics demo)",
      opcodes: { QUERY: (this.nsstats.Requestv4 ?? 0) + (this.nsstats.Requestv6 ?? 0) },
      rcodes: { ...this.rcodes },
      qtypes: { ...this.qtypes },
      nsstats: { ...this.nsstats },
      ...(this.dnstapstats ? { dnstapstats: { ...this.dnstapstats } } : {}),
      views: {
        _default: {
          resolver: {
            stats: { Queryv4: upstream, Responsev4: upstream },
            cachestats: {
              CacheHits: this.cachestats.CacheHits ?? 0,
              CacheMisses: this.cachestats.CacheMisses ?? 0,
              QueryHits: this.cachestats.QueryHits ?? 0,
              QueryMisses: this.cachestats.QueryMisses ?? 0,
              DeleteLRU: 0,
              DeleteTTL: 0,
              CacheNodes: Object.keys(this.qtypes).length,
            },
          },
        },
        // named's built-in view for CHAOS queries: its counters are not the server's cache.
        _bind: { resolver: { cachestats: { QueryHits: 0, QueryMisses: 0 } } },
      },
    };
  }

  /** The XML named 9.18 answers on `/xml/v3/server` at `now` (the same counts). */
  xml(now: Date): string {
    const group = (type: string, counts: Counts) =>
      `    <counters type="${type}">\n` +
      Object.entries(counts).map(([k, v]) => `      <counter name="${k}">${v}</counter>\n`)
        .join("") +
      "    </counters>\n";
    return '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<statistics version="3.11">\n  <server>\n' +
      `    <boot-time>${this.bootTime.toISOString()}</boot-time>\n` +
      `    <config-time>${this.bootTime.toISOString()}</config-time>\n` +
      `    <current-time>${now.toISOString()}</current-time>\n` +
      "    <version>9.18.49-1~deb12u3-Debian (simulated by dns-analytics demo)</version>\n" +
      group("rcode", this.rcodes) + group("qtype", this.qtypes) +
      group("nsstat", this.nsstats) +
      (this.dnstapstats ? group("dnstap", this.dnstapstats) : "") +
      "  </server>\n  <views>\n" +
      '    <view name="_default">\n' +
      group("cachestats", this.cachestats).replaceAll("\n    ", "\n      ").replace(/^/, "  ") +
      "    </view>\n  </views>\n</statistics>\n";
  }
}
