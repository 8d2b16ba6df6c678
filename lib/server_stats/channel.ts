/**
 * named's statistics channel (`statistics-channels { inet 127.0.0.1 port 8080 ...; }`), read
 * as JSON from `/json/v1/server`: the server-wide counters this program cannot see in the
 * query log. Field names as BIND 9.18 writes them (json-stats-version 1.7): `rcodes` (answers
 * sent, by rcode), `qtypes` (queries received, by qtype), `nsstats` (`Requestv4`,
 * `Requestv6`, `Response`, `QryUDP`, `QryTCP`, `QryRecursion`, `RateDropped`,
 * `RateSlipped`, ...), and per view `views.<name>.resolver.cachestats` (`QueryHits`,
 * `QueryMisses`, `CacheHits`, `CacheMisses`, ...). `boot-time` tells a restart of named.
 *
 * @example
 * ```ts
 * const sample = await readServerCounters("http://127.0.0.1:8080", { timeoutMs: 5000 });
 * console.log(sample.counters["rcode.NXDOMAIN"]);
 * ```
 * @module
 */

/** One reading of named's counters, flattened to `group.name` keys. */
export interface ServerSample {
  /** When it was read (this machine's clock). */
  sampledAt: Date;
  /** named's `boot-time`: it changes when named restarts. Null if named does not say. */
  bootTime: Date | null;
  /**
   * Absolute counter values: `rcode.NXDOMAIN`, `qtype.A`, `ns.RateDropped`, `cache.QueryHits`
   * (cache counters summed over every view but `_bind`).
   */
  counters: Record<string, number>;
}

/** The statistics channel did not answer, or answered something that is not its JSON. */
export class NamedStatsError extends Error {
  override name = "NamedStatsError";
}

/** The resolver cache counters that only grow (the others, such as CacheNodes, are levels). */
const CACHE_COUNTERS = [
  "CacheHits",
  "CacheMisses",
  "QueryHits",
  "QueryMisses",
  "DeleteLRU",
  "DeleteTTL",
];

type Json = Record<string, unknown>;

function numbers(group: unknown, prefix: string, into: Record<string, number>): void {
  if (group === null || typeof group !== "object") return;
  for (const [k, v] of Object.entries(group as Json)) {
    if (typeof v === "number" && Number.isFinite(v) && v > 0) into[`${prefix}.${k}`] = v;
  }
}

/** Flatten the JSON of `/json/v1/server` into a {@linkcode ServerSample}. */
export function parseServerJson(body: unknown, sampledAt: Date): ServerSample {
  if (body === null || typeof body !== "object" || !("nsstats" in body || "rcodes" in body)) {
    throw new NamedStatsError(
      "the answer is not named's JSON statistics (no nsstats or rcodes): is this the " +
        "statistics channel, and was named built with JSON support?",
    );
  }
  const b = body as Json;
  const counters: Record<string, number> = {};
  numbers(b.rcodes, "rcode", counters);
  numbers(b.qtypes, "qtype", counters);
  numbers(b.nsstats, "ns", counters);
  const views = (b.views ?? {}) as Json;
  for (const [name, view] of Object.entries(views)) {
    if (name === "_bind") continue;
    const cache = ((view as Json)?.resolver as Json | undefined)?.cachestats as Json | undefined;
    for (const k of CACHE_COUNTERS) {
      const v = cache?.[k];
      if (typeof v === "number" && v > 0) {
        counters[`cache.${k}`] = (counters[`cache.${k}`] ?? 0) + v;
      }
    }
  }
  const boot = typeof b["boot-time"] === "string" ? new Date(b["boot-time"] as string) : null;
  return {
    sampledAt,
    bootTime: boot && !Number.isNaN(boot.getTime()) ? boot : null,
    counters,
  };
}

/** Options of {@linkcode readServerCounters}. */
export interface ReadOptions {
  /** Give up after this long (default 5000 ms): a hung named never holds the collector. */
  timeoutMs?: number;
  now?: () => Date;
}

/** Read named's counters from the channel at `baseUrl`; throws NamedStatsError. */
export async function readServerCounters(
  baseUrl: string,
  options: ReadOptions = {},
): Promise<ServerSample> {
  const url = `${baseUrl.replace(/\/+$/, "")}/json/v1/server`;
  let body: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
    if (!res.ok) {
      await res.body?.cancel();
      throw new NamedStatsError(`${url}: HTTP ${res.status} (is statistics-channels enabled?)`);
    }
    body = await res.json();
  } catch (error) {
    if (error instanceof NamedStatsError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new NamedStatsError(
      `Cannot read named's statistics channel ${url}: ${why} (check DNSA_NAMED_STATS and ` +
        "named.conf's statistics-channels)",
      { cause: error },
    );
  }
  return parseServerJson(body, options.now?.() ?? new Date());
}
