/**
 * The demo's traffic: simulated BIND 9.18 queries (traffic.ts) written at a steady rate the way
 * a well-configured named writes them. With the query log as the source, into a query log and a
 * query-errors log that rotate like named's `versions 5 size 512k`; with dnstap, as
 * CLIENT_QUERY / CLIENT_RESPONSE frames into a dnstap output (dnstap_output.ts), each response
 * written once its time has come. Either way every query is also counted into named's counters
 * (named_counters.ts), which the simulated statistics channel serves.
 *
 * @example
 * ```ts
 * const sim = new TrafficSimulation(config, { rate: 300 });
 * await sim.tick(); // the queries of the time since the last tick
 * await sim.close();
 * ```
 * @module
 */
import type { Config } from "../config.ts";
import { createZoneClock, type ZoneClock } from "../time.ts";
import { dnstapFrames, type TimedFrame } from "./dnstap_traffic.ts";
import type { DnstapOutput } from "./dnstap_output.ts";
import type { NamedCounters } from "./named_counters.ts";
import { RotatingLog, TrafficGenerator } from "./traffic.ts";

/** Options of {@linkcode TrafficSimulation}. */
export interface SimulationOptions {
  /** Queries per second. */
  rate: number;
  seed?: number;
  /** named's counters, fed with every query (the statistics channel's source). */
  counters?: NamedCounters;
  /** Write dnstap frames here instead of the query logs. */
  dnstap?: DnstapOutput;
}

/** Writes simulated traffic, `rate` queries per second. */
export class TrafficSimulation {
  /** Queries written so far. */
  written = 0;
  #queries: RotatingLog;
  #errors: RotatingLog;
  #traffic: TrafficGenerator;
  #clock: ZoneClock;
  #rate: number;
  #counters: NamedCounters | null;
  #dnstap: DnstapOutput | null;
  /** Responses whose time has not come yet, dnstap only. */
  #later: TimedFrame[] = [];
  #lastTick = Date.now();
  #carry = 0;

  constructor(
    config: Pick<Readonly<Config>, "queryLog" | "errorLog" | "logTz">,
    options: SimulationOptions,
  ) {
    this.#queries = new RotatingLog(config.queryLog, { versions: 5, size: 512 * 1024 });
    this.#errors = new RotatingLog(config.errorLog, { versions: 3, size: 64 * 1024 });
    this.#traffic = new TrafficGenerator(options.seed ?? Date.now() % 100_000);
    this.#clock = createZoneClock(config.logTz);
    this.#rate = options.rate;
    this.#counters = options.counters ?? null;
    this.#dnstap = options.dnstap ?? null;
  }

  /** Write the traffic of the time that passed since the last tick. */
  async tick(now = Date.now()): Promise<void> {
    this.#carry += ((now - this.#lastTick) / 1000) * this.#rate;
    this.#lastTick = now;
    const n = Math.floor(this.#carry);
    this.#carry -= n;
    const q: string[] = [], e: string[] = [], frames: TimedFrame[] = [];
    for (let i = 0; i < n; i++) {
      const at = now - (n - i) * (1000 / this.#rate);
      const s = this.#traffic.next(this.#clock.toWall(at), at);
      this.#counters?.add(s);
      if (this.#dnstap) {
        for (const f of dnstapFrames(s, { atUs: Math.round(at * 1000) })) frames.push(f);
      } else {
        q.push(s.query);
        if (s.error) e.push(s.error);
      }
    }
    if (this.#dnstap) await this.#writeFrames(frames, now * 1000);
    else {
      await this.#queries.write(q);
      await this.#errors.write(e);
    }
    this.written += n;
  }

  /** Write the frames due by `untilUs` in time order; later ones wait for their time. */
  async #writeFrames(frames: TimedFrame[], untilUs: number): Promise<void> {
    const all = [...this.#later, ...frames].sort((a, b) => a.atUs - b.atUs);
    const due = all.findIndex((f) => f.atUs > untilUs);
    const cut = due < 0 ? all.length : due;
    this.#later = all.slice(cut);
    await this.#dnstap!.write(all.slice(0, cut).map((f) => f.frame));
  }

  /** Write what is still due (dnstap: every response, then STOP) and close the outputs. */
  async close(): Promise<void> {
    this.#queries.close();
    this.#errors.close();
    if (this.#dnstap) {
      const dnstap = this.#dnstap;
      this.#dnstap = null;
      await dnstap.write(this.#later.map((f) => f.frame));
      this.#later = [];
      await dnstap.close();
    }
  }
}
