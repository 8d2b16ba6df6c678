/**
 * The demo's traffic: simulated BIND 9.18 queries (traffic.ts) written at a steady rate into
 * a query log and a query-errors log that rotate like named's `versions 5 size 512k`, for
 * serve's tailer to follow.
 *
 * @example
 * ```ts
 * const sim = new TrafficSimulation(config, { rate: 300 });
 * await sim.tick(); // the queries of the time since the last tick
 * sim.close();
 * ```
 * @module
 */
import type { Config } from "../config.ts";
import { createZoneClock, type ZoneClock } from "../time.ts";
import { RotatingLog, TrafficGenerator } from "./traffic.ts";

/** Writes simulated traffic into `config`'s log files, `rate` queries per second. */
export class TrafficSimulation {
  /** Queries written so far. */
  written = 0;
  #queries: RotatingLog;
  #errors: RotatingLog;
  #traffic: TrafficGenerator;
  #clock: ZoneClock;
  #rate: number;
  #lastTick = Date.now();
  #carry = 0;

  constructor(
    config: Pick<Readonly<Config>, "queryLog" | "errorLog" | "logTz">,
    options: { rate: number; seed?: number },
  ) {
    this.#queries = new RotatingLog(config.queryLog, { versions: 5, size: 512 * 1024 });
    this.#errors = new RotatingLog(config.errorLog, { versions: 3, size: 64 * 1024 });
    this.#traffic = new TrafficGenerator(options.seed ?? Date.now() % 100_000);
    this.#clock = createZoneClock(config.logTz);
    this.#rate = options.rate;
  }

  /** Write the traffic of the time that passed since the last tick. */
  async tick(now = Date.now()): Promise<void> {
    this.#carry += ((now - this.#lastTick) / 1000) * this.#rate;
    this.#lastTick = now;
    const n = Math.floor(this.#carry);
    this.#carry -= n;
    const q: string[] = [], e: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = this.#traffic.next(this.#clock.toWall(now - (n - i) * (1000 / this.#rate)));
      q.push(s.query);
      if (s.error) e.push(s.error);
    }
    await this.#queries.write(q);
    await this.#errors.write(e);
    this.written += n;
  }

  /** Close the log files (what was written stays). */
  close(): void {
    this.#queries.close();
    this.#errors.close();
  }
}
