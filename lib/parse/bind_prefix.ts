/**
 * The channel prefix of a BIND log line: what `isc_log` (and, for syslog channels, the syslog
 * daemon) writes before the message. In order, every part optional:
 *
 * 1. `<PRI>` (raw network syslog),
 * 2. a syslog header: RFC 3164 `Mar  4 10:00:00 host named[123]: `, journal
 *    `Jun 07 16:37:50 host named[413848]: ` or rsyslog RFC 3339
 *    `2023-01-03T15:40:57.342123+01:00 host named[123]: `,
 * 3. BIND's own time: `25-Nov-2026 20:43:16.780` (print-time local), `2026-11-25T20:43:16.780`
 *    (iso8601) or `2026-11-25T20:43:16.780Z` (iso8601-utc),
 * 4. `category: ` (only BIND's category names, so `info: ` is never taken for a category),
 * 5. `severity: ` (`info: `, `debug 3: `, …).
 *
 * A BIND time inside a syslog message (double timestamp) wins over the syslog time, because it
 * has milliseconds and a year. The common 9.18 form is parsed with `charCodeAt` only.
 *
 * @module
 */

import type { RejectedLine } from "./types.ts";

/** What {@linkcode parseBindPrefix} found before the message. */
export interface BindPrefix {
  /** Milliseconds (see `types.ts`), or null when the line carries no time at all. */
  time: number | null;
  /** True when the time is a real epoch (`Z` or an offset). */
  zoned: boolean;
  /** True when the time came from a year-less syslog header (year 2000 in `time`). */
  yearless: boolean;
  /** The BIND category (`queries`, `query-errors`, …), or null when not printed. */
  category: string | null;
  /** The severity without its colon (`info`, `debug 3`), or null when not printed. */
  severity: string | null;
  /** Offset of the message (the text after the prefix) in the line. */
  rest: number;
}

/**
 * BIND's category names (ARM `logging-categories`, 9.9 – 9.20). Only these are taken for a
 * category, so a message that happens to start with `word: ` is not swallowed.
 */
export const BIND_CATEGORIES: ReadonlySet<string> = new Set(
  ("client cname config database default delegation-only dispatch dnssec dnstap edns-disabled " +
    "general lame-servers network notify nsid queries query-errors rate-limit resolver responses " +
    "rpz rpz-passthru security serve-stale spill sslkeylog trust-anchor-telemetry unmatched " +
    "update update-security xfer-in xfer-out zoneload").split(" "),
);

const SEVERITIES: ReadonlySet<string> = new Set(["critical", "error", "warning", "notice", "info"]);

const BAD_TIMESTAMP: RejectedLine = Object.freeze({ kind: "rejected", reason: "bad_timestamp" });
const UNRECOGNIZED: RejectedLine = Object.freeze({ kind: "rejected", reason: "unrecognized" });

/**
 * Parse the channel prefix of `line`. Returns `bad_timestamp` when a timestamp has the right
 * shape but impossible numbers, `unrecognized` for a broken `<PRI>` or syslog header; never
 * throws. A line without any timestamp gives `time: null` (the caller decides whether that is
 * `no_timestamp` or garbage).
 *
 * @example
 * ```ts
 * const p = parseBindPrefix("25-Nov-2026 20:43:16.780 queries: info: client @0x1 ::1#5 …");
 * // { time: Date.UTC(2026, 10, 25, 20, 43, 16, 780), zoned: false, yearless: false,
 * //   category: "queries", severity: "info", rest: 40 }
 * ```
 */
export function parseBindPrefix(line: string): BindPrefix | RejectedLine {
  let pos = 0;
  let time: number | null = null;
  let zoned = false;
  let yearless = false;
  if (line.charCodeAt(0) === 60 /* < */) {
    pos = skipPri(line);
    if (pos < 0) return UNRECOGNIZED;
  }
  const c0 = line.charCodeAt(pos);
  if (isDigit(c0)) {
    // Common case first: BIND's print-time local `DD-Mon-YYYY HH:MM:SS.mmm `.
    if (line.charCodeAt(pos + 2) === 45 /* - */ && isDigit(line.charCodeAt(pos + 1))) {
      const t = parseLocalTime(line, pos);
      if (t === BAD) return BAD_TIMESTAMP;
      if (t !== NONE) {
        time = t;
        pos += 25;
      }
    } else if (line.charCodeAt(pos + 4) === 45 /* - */) {
      const iso = parseIsoTime(line, pos);
      if (iso === null) return BAD_TIMESTAMP;
      if (iso !== undefined) {
        const header = skipSyslogHeader(line, iso.end);
        time = iso.time;
        zoned = iso.zoned;
        pos = header > 0 ? header : iso.end;
        if (header > 0) {
          const inner = parseInnerTime(line, pos);
          if (inner === null) return BAD_TIMESTAMP;
          if (inner !== undefined) ({ time, zoned, pos } = inner);
        }
      }
    }
  } else if (c0 >= 65 && c0 <= 90 && line.charCodeAt(pos + 3) === 32) {
    const month = monthOf(line, pos);
    if (month > 0) {
      const t = parseSyslogTime(line, pos, month);
      if (t === BAD) return BAD_TIMESTAMP;
      if (t !== NONE) {
        const header = skipSyslogHeader(line, pos + 16);
        if (header < 0) return UNRECOGNIZED;
        time = t;
        yearless = true;
        pos = header;
        const inner = parseInnerTime(line, pos);
        if (inner === null) return BAD_TIMESTAMP;
        if (inner !== undefined) {
          ({ time, zoned, pos } = inner);
          yearless = false;
        }
      }
    }
  }
  let category: string | null = null;
  let severity: string | null = null;
  // `client ` cannot be a category or severity: skip those checks for the common client line.
  if (
    line.charCodeAt(pos) === 99 && line.charCodeAt(pos + 5) === 116 &&
    line.charCodeAt(pos + 6) === 32
  ) {
    return { time, zoned, yearless, category, severity, rest: pos };
  }
  let word = wordEnd(line, pos);
  if (word > pos) {
    const token = line.slice(pos, word);
    if (BIND_CATEGORIES.has(token)) {
      category = token;
      pos = word + 2;
      word = wordEnd(line, pos);
    }
  }
  if (word > pos) {
    const token = line.slice(pos, word);
    if (SEVERITIES.has(token)) {
      severity = token;
      pos = word + 2;
    }
  } else {
    const end = debugLevelEnd(line, pos);
    if (end > 0) {
      severity = line.slice(pos, end);
      pos = end + 2;
    }
  }
  return { time, zoned, yearless, category, severity, rest: pos };
}

const NONE = -1e300;
const BAD = -2e300;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Value of `n` decimal digits at `at`, or -1 when one of them is not a digit. */
function digits(line: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Skip `<PRI>`; returns the offset after `>` or -1. */
function skipPri(line: string): number {
  let i = 1;
  while (i < 4 && isDigit(line.charCodeAt(i))) i++;
  return i > 1 && line.charCodeAt(i) === 62 /* > */ ? i + 1 : -1;
}

/** Month number 1–12 of an English `Mon` abbreviation at `at`, else 0. */
function monthOf(line: string, at: number): number {
  const key = (line.charCodeAt(at) << 16) | (line.charCodeAt(at + 1) << 8) |
    line.charCodeAt(at + 2);
  return MONTH_KEYS.indexOf(key) + 1;
}

/** `Jan` … `Dec` as 24-bit char-code keys (C locale month names). */
const MONTH_KEYS: readonly number[] = Object.freeze([
  0x4a616e,
  0x466562,
  0x4d6172,
  0x417072,
  0x4d6179,
  0x4a756e,
  0x4a756c,
  0x417567,
  0x536570,
  0x4f6374,
  0x4e6f76,
  0x446563,
]);

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Checked wall-clock ms as if UTC (date plus `secs` seconds of day), or BAD. */
function wallClock(y: number, mo: number, d: number, secs: number): number {
  if (secs < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return BAD;
  return daysFromCivil(y, mo, d) * 86400000 + secs * 1000;
}

/** `HH:MM:SS` at `at`: seconds of day, -1 when not this shape, -2 when out of range. */
function clock(line: string, at: number): number {
  if (line.charCodeAt(at + 2) !== 58 || line.charCodeAt(at + 5) !== 58) return -1;
  const h = digits(line, at, 2), mi = digits(line, at + 3, 2), s = digits(line, at + 6, 2);
  if (h < 0 || mi < 0 || s < 0) return -1;
  return h > 23 || mi > 59 || s > 60 ? -2 : (h * 60 + mi) * 60 + s;
}

/** `DD-Mon-YYYY HH:MM:SS.mmm ` at `at`: wall-clock ms, NONE when not this shape, BAD. */
function parseLocalTime(line: string, at: number): number {
  if (
    line.charCodeAt(at + 6) !== 45 || line.charCodeAt(at + 11) !== 32 ||
    line.charCodeAt(at + 20) !== 46 || line.charCodeAt(at + 24) !== 32
  ) return NONE;
  const d = digits(line, at, 2), y = digits(line, at + 7, 4), ms = digits(line, at + 21, 3);
  const secs = clock(line, at + 12);
  if (d < 0 || y < 0 || ms < 0 || secs === -1) return NONE;
  const mo = monthOf(line, at + 3);
  if (mo === 0) return BAD;
  const t = wallClock(y, mo, d, secs);
  return t === BAD ? BAD : t + ms;
}

/** `Mon DD HH:MM:SS ` (day space- or zero-padded) at `at`: ms in year 2000, NONE or BAD. */
function parseSyslogTime(line: string, at: number, month: number): number {
  if (line.charCodeAt(at + 15) !== 32) return NONE;
  const d1 = line.charCodeAt(at + 4);
  const d2 = digits(line, at + 5, 1);
  const tens = d1 === 32 ? 0 : d1 - 48;
  const secs = clock(line, at + 7);
  if (tens < 0 || tens > 9 || d2 < 0 || line.charCodeAt(at + 6) !== 32 || secs === -1) {
    return NONE;
  }
  return wallClock(2000, month, tens * 10 + d2, secs);
}

interface IsoTime {
  time: number;
  zoned: boolean;
  /** Offset after the timestamp and its following space. */
  end: number;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fff…][Z|±HH:MM|±HHMM] ` at `at` (BIND iso8601 forms and RFC 3339).
 * undefined when not this shape, null when the numbers are impossible.
 */
function parseIsoTime(line: string, at: number): IsoTime | null | undefined {
  if (line.charCodeAt(at + 7) !== 45 || line.charCodeAt(at + 10) !== 84 /* T */) return undefined;
  const y = digits(line, at, 4), mo = digits(line, at + 5, 2), d = digits(line, at + 8, 2);
  const secs = clock(line, at + 11);
  if (y < 0 || mo < 0 || d < 0 || secs === -1) return undefined;
  let i = at + 19;
  let ms = 0;
  if (line.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (isDigit(line.charCodeAt(i))) i++;
    if (i === start) return undefined;
    const frac = line.slice(start, Math.min(i, start + 3));
    ms = Number(frac.padEnd(3, "0"));
  }
  let zoned = false;
  let offset = 0;
  const z = line.charCodeAt(i);
  if (z === 90 /* Z */) {
    zoned = true;
    i++;
  } else if (z === 43 || z === 45) {
    const oh = digits(line, i + 1, 2);
    const colon = line.charCodeAt(i + 3) === 58 ? 1 : 0;
    const om = digits(line, i + 3 + colon, 2);
    if (oh < 0 || om < 0) return undefined;
    if (oh > 23 || om > 59) return null;
    offset = (z === 43 ? 1 : -1) * (oh * 60 + om) * 60000;
    zoned = true;
    i += 5 + colon;
  }
  if (line.charCodeAt(i) !== 32) return undefined;
  const t = wallClock(y, mo, d, secs);
  if (t === BAD) return null;
  return { time: t + ms - offset, zoned, end: i + 1 };
}

/** A BIND time right after a syslog header (double timestamp); same results as parseIsoTime. */
function parseInnerTime(
  line: string,
  at: number,
): { time: number; zoned: boolean; pos: number } | null | undefined {
  if (!isDigit(line.charCodeAt(at))) return undefined;
  if (line.charCodeAt(at + 2) === 45) {
    const t = parseLocalTime(line, at);
    if (t === BAD) return null;
    return t === NONE ? undefined : { time: t, zoned: false, pos: at + 25 };
  }
  const iso = parseIsoTime(line, at);
  return iso ? { time: iso.time, zoned: iso.zoned, pos: iso.end } : iso;
}

/**
 * Skip `host tag: ` (or a host-less `tag: `) after a syslog time. A tag is `ident[pid]:` or
 * `ident:` where ident is not a BIND category or severity (so BIND's own
 * `2026-…T…Z queries: info: ` is not taken for a syslog header). Returns the message offset or -1.
 */
function skipSyslogHeader(line: string, at: number): number {
  const sp1 = line.indexOf(" ", at);
  if (sp1 <= at) return -1;
  if (isTag(line, at, sp1)) return sp1 + 1;
  if (line.charCodeAt(sp1 - 1) === 58) return -1; // a host never ends with ':'
  const sp2 = line.indexOf(" ", sp1 + 1);
  return sp2 > sp1 + 1 && isTag(line, sp1 + 1, sp2) ? sp2 + 1 : -1;
}

function isTag(line: string, start: number, end: number): boolean {
  if (line.charCodeAt(end - 1) !== 58 /* : */ || end - start < 2) return false;
  let identEnd = end - 1;
  if (line.charCodeAt(end - 2) === 93 /* ] */) {
    const open = line.lastIndexOf("[", end - 2);
    if (open <= start || end - 3 <= open || digits(line, open + 1, end - 3 - open) < 0) {
      return false;
    }
    identEnd = open;
  }
  const ident = line.slice(start, identEnd);
  return IDENT.test(ident) && !BIND_CATEGORIES.has(ident) && !SEVERITIES.has(ident);
}

/** A syslog program name (`named`, `bind9`, `named-pkcs11`); never an address like `1.2.3.4#53`. */
const IDENT = /^[A-Za-z][\w./-]*$/;

/** End of a `[a-z-]+` word at `at` that is followed by `: `, else `at`. */
function wordEnd(line: string, at: number): number {
  let i = at;
  for (;;) {
    const c = line.charCodeAt(i);
    if ((c >= 97 && c <= 122) || c === 45) i++;
    else break;
  }
  return line.charCodeAt(i) === 58 && line.charCodeAt(i + 1) === 32 ? i : at;
}

/** End of `debug N` / `level N` (before its `: `) at `at`, else -1. */
function debugLevelEnd(line: string, at: number): number {
  let i: number;
  const c = line.charCodeAt(at);
  if (c !== 100 && c !== 108) return -1;
  if (line.startsWith("debug ", at)) i = at + 6;
  else if (line.startsWith("level ", at)) i = line.charCodeAt(at + 6) === 45 ? at + 7 : at + 6;
  else return -1;
  const start = i;
  while (isDigit(line.charCodeAt(i))) i++;
  return i > start && line.charCodeAt(i) === 58 && line.charCodeAt(i + 1) === 32 ? i : -1;
}
