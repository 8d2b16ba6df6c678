/**
 * PTR names of clients, asked of the local resolver (DNSA_PTR_RESOLVER, default
 * 127.0.0.1:53: the BIND this program runs beside, whose reverse zones know the LAN). Runs
 * beside ingest, never in it: a round takes the clients of the recent statistics whose name
 * is not cached, asks at most `max` of them one after the other, and caches every answer in
 * dns_client_ptr: a name for `ttlMs`, no name (NXDOMAIN, no PTR, or no answer) for
 * `negativeTtlMs`. Deno.resolveDns does not report record TTLs, so the cache times are fixed.
 *
 * @example
 * ```ts
 * reverseName("10.10.10.31"); // "31.10.10.10.in-addr.arpa"
 * ```
 * @module
 */
import { isIP } from "node:net";
import type { Sql } from "../db/connect.ts";
import { dayString } from "../time.ts";
import { createZoneClock } from "../time.ts";
import { NAMES_SQL, storeNames } from "./store_names.ts";

/** Options of {@linkcode runPtrRound}. */
export interface PtrOptions {
  resolver: { ipAddr: string; port: number };
  /** At most this many lookups in the round (the rate bound). */
  max: number;
  ttlMs: number;
  negativeTtlMs: number;
  /** Time a lookup may take. */
  timeoutMs: number;
  tz: string;
  now?: () => Date;
  signal?: AbortSignal;
}

/** How far back the raw rows are searched for new clients (the statistics hold the rest). */
const RAW_WINDOW_MS = 5 * 60_000;

/** PTR cache: a name for 6 hours, no name for 1 hour. */
export const PTR_DEFAULTS = {
  max: 20,
  ttlMs: 6 * 3_600_000,
  negativeTtlMs: 3_600_000,
  timeoutMs: 3000,
} as const;

/** The name to ask PTR of for an address: `d.c.b.a.in-addr.arpa` or the ip6.arpa nibbles. */
export function reverseName(address: string): string {
  if (isIP(address) === 4) return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  const [head, tail = ""] = address.toLowerCase().split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::")
    ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t]
    : h;
  const nibbles = groups.map((g) => g.padStart(4, "0")).join("").split("");
  return `${nibbles.reverse().join(".")}.ip6.arpa`;
}

/** Outcome of one round. */
export interface PtrRound {
  asked: number;
  named: number;
  failed: number;
}

/** Ask the PTR names of up to `max` clients that need one; cache the answers. */
export async function runPtrRound(sql: Sql, options: PtrOptions): Promise<PtrRound> {
  const now = options.now ?? (() => new Date());
  const clock = createZoneClock(options.tz);
  const today = Math.floor(clock.toWall(now().getTime()) / 86_400_000);
  const candidates = await sql.unsafe<{ address: string }[]>(NAMES_SQL.ptrCandidates, [
    dayString(today - 1),
    now(),
    options.max,
    new Date(now().getTime() - RAW_WINDOW_MS),
  ]);
  const round: PtrRound = { asked: 0, named: 0, failed: 0 };
  for (const { address } of candidates) {
    if (options.signal?.aborted) break;
    round.asked++;
    let name: string | null = null;
    try {
      const signal = options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs);
      const answers = await Deno.resolveDns(reverseName(address), "PTR", {
        nameServer: options.resolver,
        signal,
      });
      const first = answers.map((a) => a.replace(/\.$/, "")).filter(Boolean).sort()[0];
      name = first ?? null;
    } catch (error) {
      if (options.signal?.aborted) break;
      if (!(error instanceof Deno.errors.NotFound)) round.failed++;
    }
    const at = now();
    const ttl = name === null ? options.negativeTtlMs : options.ttlMs;
    await sql.begin(async (tx) => {
      await tx.unsafe(NAMES_SQL.ptrStore, [address, name, at, new Date(at.getTime() + ttl)]);
      if (name !== null) await storeNames(tx, "ptr", new Map([[address, name]]), { now: at });
    });
    if (name !== null) round.named++;
  }
  return round;
}
