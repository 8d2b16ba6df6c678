/**
 * How the demo's simulated named answers each query: the rcode, whether the answer came from
 * its cache (a TTL per name and type), the local zones it is authoritative for, response rate
 * limiting (`rate-limit { responses-per-second 10; slip 2; }`: identical answers to one client
 * /24 beyond 10 a second are dropped, every second one slipped as a truncated answer), and the
 * response time. A PRNG of its own, so the query-log lines of a seed stay as they were.
 *
 * @example
 * ```ts
 * const named = new SimulatedNamed(7);
 * const a = named.answer({ client: "192.168.238.20", name: "youtube.com", qtype: "A",
 *   rcode: "NOERROR", atMs: Date.now() });
 * console.log(a.cache, a.rrl, a.latencyUs);
 * ```
 * @module
 */
import { createRandom } from "./traffic.ts";

/** The answer codes the simulation gives. */
export type SimulatedRcode = "NOERROR" | "NXDOMAIN" | "SERVFAIL" | "REFUSED";

/** What happened to one query. */
export interface SimulatedAnswer {
  /** The rcode of the answer (also of a slipped one; a dropped one has none sent). */
  rcode: SimulatedRcode;
  /**
   * `hit`: answered from the cache; `miss`: named recursed; `auth`: a local zone; null: no
   * cache lookup (REFUSED, a SERVFAIL from the SERVFAIL cache).
   */
  cache: "hit" | "miss" | "auth" | null;
  /** Response rate limiting: null, or the answer dropped or slipped (TC=1, no records). */
  rrl: "drop" | "slip" | null;
  /** Time from the query to the answer, µs (0 for a dropped answer). */
  latencyUs: number;
  /** TTL of the answer's records, seconds. */
  ttl: number;
}

/** What {@linkcode SimulatedNamed.answer} needs to know of a query. */
export interface QuestionFacts {
  client: string;
  /** The name as the client sent it (any case). */
  name: string;
  qtype: string;
  /** The rcode the name gets (the generator's choice). */
  rcode: SimulatedRcode;
  /** `failure` (a fresh upstream failure) or `SERVFAIL` (from the SERVFAIL cache). */
  servfailReason?: "failure" | "SERVFAIL";
  /** When the query arrived, epoch ms. */
  atMs: number;
}

/** Identical answers per client /24 and second before rate limiting drops or slips. */
export const RRL_RESPONSES_PER_SECOND = 10;

const LOCAL = [".codeandcore.home", ".168.192.in-addr.arpa"];

/** The simulated resolver's cache, local zones and rate limiter. */
export class SimulatedNamed {
  #rand: () => number;
  #cache = new Map<string, number>();
  #rrl = new Map<string, number>();
  #rrlSecond = 0;

  constructor(seed = 1) {
    this.#rand = createRandom((seed ^ 0x5bd1e995) >>> 0);
  }

  /** How named answers `q`. */
  answer(q: QuestionFacts): SimulatedAnswer {
    const name = q.name.toLowerCase();
    const ttl = 60 + Math.floor(this.#rand() * 240);
    if (q.rcode === "REFUSED") {
      return { rcode: q.rcode, cache: null, rrl: null, latencyUs: this.#micros(10, 90), ttl };
    }
    if (q.rcode === "SERVFAIL") {
      return q.servfailReason === "SERVFAIL"
        ? { rcode: q.rcode, cache: null, rrl: null, latencyUs: this.#micros(20, 200), ttl }
        : { rcode: q.rcode, cache: "miss", rrl: null, latencyUs: this.#failure(), ttl };
    }
    const auth = LOCAL.some((z) => name.endsWith(z));
    let cache: SimulatedAnswer["cache"] = "auth";
    if (!auth) {
      const key = `${name}/${q.qtype}`;
      const until = this.#cache.get(key) ?? 0;
      cache = until > q.atMs ? "hit" : "miss";
      if (cache === "miss") this.#remember(key, q.atMs + ttl * 1000);
    }
    const rrl = this.#limit(q, name);
    const latencyUs = rrl === "drop"
      ? 0
      : cache === "miss"
      ? this.#recursion()
      : this.#micros(20, 400);
    return { rcode: q.rcode, cache, rrl, latencyUs, ttl };
  }

  #micros(lo: number, hi: number): number {
    return Math.round(lo + this.#rand() * (hi - lo));
  }

  /** Recursion to the internet: mostly tens of ms, a long tail to a second. */
  #recursion(): number {
    return Math.round(Math.min(1_500_000, 4_000 - 40_000 * Math.log(1 - this.#rand() * 0.999)));
  }

  /** An upstream that does not answer: the resolver's retries, 1.2 to 3.2 s. */
  #failure(): number {
    return this.#micros(1_200_000, 3_200_000);
  }

  #remember(key: string, until: number): void {
    if (this.#cache.size >= 20_000) {
      const now = until - 300_000;
      for (const [k, t] of this.#cache) if (t <= now) this.#cache.delete(k);
      if (this.#cache.size >= 20_000) this.#cache.clear();
    }
    this.#cache.set(key, until);
  }

  /** BIND's RRL, simplified to whole seconds: IPv4 /24 or IPv6 /56, name (zone for NXDOMAIN). */
  #limit(q: QuestionFacts, name: string): SimulatedAnswer["rrl"] {
    const second = Math.floor(q.atMs / 1000);
    if (second !== this.#rrlSecond) {
      this.#rrl.clear();
      this.#rrlSecond = second;
    }
    const block = q.client.includes(":")
      ? q.client.split(":").slice(0, 3).join(":")
      : q.client.split(".").slice(0, 3).join(".");
    const what = q.rcode === "NXDOMAIN" ? name.split(".").slice(-2).join(".") : name;
    const key = `${block}|${what}|${q.qtype}|${q.rcode}`;
    const n = (this.#rrl.get(key) ?? 0) + 1;
    this.#rrl.set(key, n);
    if (n <= RRL_RESPONSES_PER_SECOND) return null;
    return (n - RRL_RESPONSES_PER_SECOND) % 2 === 0 ? "slip" : "drop";
  }
}
