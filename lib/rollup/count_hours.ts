/**
 * The hours of a rollup window (a day in DNSA_LOG_TZ: 23, 24 or 25 of them), numbered in the
 * order rows first reach them. A row's hour comes from its quarter hour's slot (every zone's
 * hours start on a quarter hour), so a lookup is an array read once its slot is known.
 *
 * @module
 */
import { createZoneClock, type ZoneClock } from "../time.ts";
import { isoMicros } from "./write_table.ts";

/** Hours a window may hold, plus one: bit masks of hours hold up to 31. */
export const HCAP = 32;
const SLOT_US = 900_000_000; // 15 minutes
const HOUR_MS = 3_600_000;

/** The hour index of each quarter hour of a window, and each hour's start. */
export class WindowHours {
  /** Hour index → start (epoch ms), and as an ISO timestamp. */
  readonly start: number[] = [];
  readonly iso: string[] = [];
  readonly #clock: ZoneClock;
  readonly #slotBase: number;
  readonly #slotHour: Int8Array;
  readonly #fromMs: number;
  readonly #toMs: number;

  /**
   * The hours of [lo, hi) in zone `tz`; hours starting in [hourFrom, hourTo) are the ones
   * whose hourly rows are written.
   */
  constructor(w: { lo: Date; hi: Date; hourFrom: Date; hourTo: Date; tz: string }) {
    this.#clock = createZoneClock(w.tz);
    this.#fromMs = w.hourFrom.getTime();
    this.#toMs = w.hourTo.getTime();
    this.#slotBase = Math.floor(w.lo.getTime() * 1000 / SLOT_US);
    const slots = Math.ceil(w.hi.getTime() * 1000 / SLOT_US) - this.#slotBase + 1;
    this.#slotHour = new Int8Array(Math.max(1, slots)).fill(-1);
  }

  /** Hours seen so far. */
  get length(): number {
    return this.start.length;
  }

  /** The hour index of an epoch-µs time (its first use numbers the hour). */
  of(us: number): number {
    const slot = Math.floor(us / SLOT_US);
    const i = slot - this.#slotBase;
    if (i >= 0 && i < this.#slotHour.length && this.#slotHour[i] >= 0) return this.#slotHour[i];
    const ms = slot * (SLOT_US / 1000);
    const wall = this.#clock.toWall(ms);
    const start = ms - (((wall % HOUR_MS) + HOUR_MS) % HOUR_MS);
    let h = this.start.indexOf(start);
    if (h < 0) {
      h = this.start.length;
      if (h >= HCAP - 1) throw new RangeError(`a window has at most ${HCAP - 1} hours`);
      this.start.push(start);
      this.iso.push(isoMicros(start * 1000));
    }
    if (i >= 0 && i < this.#slotHour.length) this.#slotHour[i] = h;
    return h;
  }

  /** Hour `h`'s hourly rows are written (it starts in [hourFrom, hourTo)). */
  written(h: number): boolean {
    const start = this.start[h];
    return start >= this.#fromMs && start < this.#toMs;
  }
}
