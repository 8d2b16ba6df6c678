/**
 * Wall-clock times of BIND logs to epoch milliseconds, in the log's IANA time zone.
 *
 * BIND's `print-time` and `iso8601` stamps carry no zone; `DNSA_LOG_TZ` says which zone they
 * are in. Offsets are looked up once per wall-clock hour and cached, so converting a line
 * costs a Map lookup. In the repeated hour at the end of daylight saving time the earlier
 * instant is chosen; a time in the skipped hour is moved forward by the gap.
 *
 * @module
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Converts wall-clock times of one zone to epochs and back. */
export interface ZoneClock {
  readonly tz: string;
  /** Wall-clock ms (encoded with Date.UTC) → epoch ms. */
  toEpoch(wallMs: number): number;
  /** Epoch ms → wall-clock ms (encoded with Date.UTC). */
  toWall(epochMs: number): number;
}

/** A {@linkcode ZoneClock} for `tz` (e.g. `UTC`, `Africa/Kampala`). */
export function createZoneClock(tz: string): ZoneClock {
  // Made at the first offset asked for: UTC asks none (the first Intl.DateTimeFormat of a
  // process loads the zone data, ~10 ms of a run's start).
  let fmt: Intl.DateTimeFormat | null = null;
  const format = () =>
    new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  const offsetCache = new Map<number, number>();
  const wallCache = new Map<number, number>();
  const isUtc = tz === "UTC" || tz === "Etc/UTC";

  /** Offset (wall − epoch) in ms at an epoch instant. */
  function offsetAt(epochMs: number): number {
    const key = Math.floor(epochMs / HOUR);
    let off = offsetCache.get(key);
    if (off === undefined) {
      const p: Record<string, number> = {};
      for (const part of (fmt ??= format()).formatToParts(new Date(key * HOUR))) {
        if (part.type !== "literal") p[part.type] = Number(part.value);
      }
      const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      off = wall - key * HOUR;
      if (offsetCache.size > 100_000) offsetCache.clear();
      offsetCache.set(key, off);
    }
    return off;
  }

  return {
    tz,
    toEpoch(wallMs: number): number {
      if (isUtc) return wallMs;
      const key = Math.floor(wallMs / HOUR);
      let base = wallCache.get(key);
      if (base === undefined) {
        // The offsets a day before and a day after cover both sides of one transition.
        const w = key * HOUR;
        const before = offsetAt(w - DAY), after = offsetAt(w + DAY);
        const okBefore = offsetAt(w - before) === before;
        const okAfter = offsetAt(w - after) === after;
        if (okBefore && okAfter) base = Math.max(before, after); // repeated hour: earlier
        else if (okAfter) base = after;
        else base = before; // valid, or in the skipped hour: moved forward by the gap
        if (wallCache.size > 100_000) wallCache.clear();
        wallCache.set(key, base);
      }
      return wallMs - base;
    },
    toWall(epochMs: number): number {
      return isUtc ? epochMs : epochMs + offsetAt(epochMs);
    },
  };
}

/** `YYYY-MM-DD` of a wall-clock day number. */
export function dayString(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/**
 * Place a year-less syslog time (wall clock encoded in year 2000) in the latest year that
 * does not put the line more than a day after `refWallMs` (the file's modification time or
 * now), so a December line read in January lands in the previous year. Returns wall-clock ms.
 */
export function resolveYearless(wall2000Ms: number, refWallMs: number): number {
  const d = new Date(wall2000Ms);
  const month = d.getUTCMonth(), day = d.getUTCDate();
  const rest = wall2000Ms - Date.UTC(2000, month, day);
  let year = new Date(refWallMs).getUTCFullYear();
  for (let i = 0; i < 8; i++, year--) {
    // 29 Feb only exists in leap years: step back until it does.
    const t = Date.UTC(year, month, day) + rest;
    if (new Date(t).getUTCDate() !== day) continue;
    if (t <= refWallMs + DAY) return t;
  }
  return Date.UTC(year, month, day) + rest;
}
