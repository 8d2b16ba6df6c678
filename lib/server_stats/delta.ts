/**
 * Per-minute deltas of named's counters: what each counter grew by between two readings,
 * with a restart of named handled. named's counters start again from zero when it restarts;
 * a reading after a restart (its boot-time changed, or any counter went down) counts what
 * named counted since the restart, so a delta is never negative and nothing before the
 * restart is counted again. What named counted between the last reading before the restart
 * and the restart is lost with its process (at most one interval).
 *
 * @example
 * ```ts
 * const d = counterDelta(previous, current);
 * if (d) console.log(d.counters["rcode.NXDOMAIN"] ?? 0, d.restarted);
 * ```
 * @module
 */
import type { ServerSample } from "./channel.ts";

/** What the counters grew by over (since, until]. */
export interface CounterDelta {
  since: Date;
  until: Date;
  /** named restarted within the interval: the counts are those since the restart. */
  restarted: boolean;
  /** Growth per counter key; zero growths are left out. */
  counters: Record<string, number>;
  /** The minute the delta is filed under: the one holding the middle of the interval. */
  minute: Date;
}

/** Whether named restarted between `prev` and `cur`. */
export function restartedBetween(prev: ServerSample, cur: ServerSample): boolean {
  if (prev.bootTime && cur.bootTime && prev.bootTime.getTime() !== cur.bootTime.getTime()) {
    return true;
  }
  for (const [k, v] of Object.entries(prev.counters)) {
    if ((cur.counters[k] ?? 0) < v) return true;
  }
  return false;
}

/**
 * The delta from `prev` to `cur`; null without a previous reading (the first reading is the
 * baseline: named may have counted for months before it) or when `cur` is not later.
 */
export function counterDelta(prev: ServerSample | null, cur: ServerSample): CounterDelta | null {
  if (!prev || cur.sampledAt.getTime() <= prev.sampledAt.getTime()) return null;
  const restarted = restartedBetween(prev, cur);
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(cur.counters)) {
    const d = restarted ? v : v - (prev.counters[k] ?? 0);
    if (d > 0) counters[k] = d;
  }
  // After a restart the counts began at the boot (when named's clock says it lies inside).
  const boot = cur.bootTime?.getTime();
  const since = restarted && boot !== undefined && boot > prev.sampledAt.getTime() &&
      boot < cur.sampledAt.getTime()
    ? cur.bootTime!
    : prev.sampledAt;
  const middle = (since.getTime() + cur.sampledAt.getTime()) / 2;
  return {
    since,
    until: cur.sampledAt,
    restarted,
    counters,
    minute: new Date(Math.floor(middle / 60_000) * 60_000),
  };
}

/** The columns of a dns_server_counters row, from a delta's counters. */
export interface CounterColumns {
  requests: number;
  responses: number;
  udp_count: number;
  tcp_count: number;
  recursion_count: number;
  noerror_count: number;
  nxdomain_count: number;
  servfail_count: number;
  refused_count: number;
  formerr_count: number;
  other_count: number;
  rate_dropped: number;
  rate_slipped: number;
  cache_query_hits: number;
  cache_query_misses: number;
  cache_hits: number;
  cache_misses: number;
  rcodes: Record<string, number>;
  qtypes: Record<string, number>;
  nsstats: Record<string, number>;
}

const NAMED_RCODES: Record<string, keyof CounterColumns> = {
  NOERROR: "noerror_count",
  NXDOMAIN: "nxdomain_count",
  SERVFAIL: "servfail_count",
  REFUSED: "refused_count",
  FORMERR: "formerr_count",
};

/** Split a delta's `group.name` counters into the table's columns. */
export function counterColumns(counters: Record<string, number>): CounterColumns {
  const c = (k: string) => counters[k] ?? 0;
  const out: CounterColumns = {
    requests: c("ns.Requestv4") + c("ns.Requestv6"),
    responses: c("ns.Response"),
    udp_count: c("ns.QryUDP"),
    tcp_count: c("ns.QryTCP"),
    recursion_count: c("ns.QryRecursion"),
    noerror_count: 0,
    nxdomain_count: 0,
    servfail_count: 0,
    refused_count: 0,
    formerr_count: 0,
    other_count: 0,
    rate_dropped: c("ns.RateDropped"),
    rate_slipped: c("ns.RateSlipped"),
    cache_query_hits: c("cache.QueryHits"),
    cache_query_misses: c("cache.QueryMisses"),
    cache_hits: c("cache.CacheHits"),
    cache_misses: c("cache.CacheMisses"),
    rcodes: {},
    qtypes: {},
    nsstats: {},
  };
  for (const [k, v] of Object.entries(counters)) {
    const dot = k.indexOf(".");
    const group = k.slice(0, dot);
    const name = k.slice(dot + 1);
    if (group === "rcode") {
      out.rcodes[name] = v;
      const col = NAMED_RCODES[name];
      if (col) (out[col] as number) += v;
      else out.other_count += v;
    } else if (group === "qtype") out.qtypes[name] = v;
    else if (group === "ns") out.nsstats[name] = v;
  }
  return out;
}
