/**
 * The demo's simulated statistics channel: a small HTTP server on loopback, in the demo's
 * process, answering what named's `statistics-channels` answers (`/json/v1/server`,
 * `/xml/v3/server`, and `/json`, `/json/v1`, `/xml`, `/xml/v3` for everything) from the
 * simulated traffic's counters. serve reads it through DNSA_NAMED_STATS exactly as it reads a
 * real named's.
 *
 * @example
 * ```ts
 * const channel = startStatsChannel(counters);
 * console.log(channel.url); // http://127.0.0.1:40123
 * await channel.close();
 * ```
 * @module
 */
import type { NamedCounters } from "./named_counters.ts";

/** A running simulated statistics channel. */
export interface StatsChannel {
  /** Base URL, as DNSA_NAMED_STATS takes it. */
  url: string;
  close(): Promise<void>;
}

const JSON_PATHS = new Set(["/json", "/json/v1", "/json/v1/server"]);
const XML_PATHS = new Set(["/", "/xml", "/xml/v3", "/xml/v3/server"]);

/** Serve `counters` on a free loopback port. */
export function startStatsChannel(
  counters: NamedCounters,
  options: { now?: () => Date } = {},
): StatsChannel {
  const now = options.now ?? (() => new Date());
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (req) => {
    const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
    if (req.method !== "GET") return new Response("method not allowed\n", { status: 405 });
    if (JSON_PATHS.has(path)) {
      return new Response(JSON.stringify(counters.json(now())), {
        headers: { "content-type": "application/json" },
      });
    }
    if (XML_PATHS.has(path)) {
      return new Response(counters.xml(now()), { headers: { "content-type": "text/xml" } });
    }
    return new Response("not found\n", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}
