/**
 * The hot path of ingest: a BIND query line in its common 9.11–9.20 shape
 * (`DD-Mon-YYYY HH:MM:SS.mmm client @0x… IP#PORT (NAME): [view V: ]query: NAME CLASS TYPE
 * FLAGS (SERVER)[ [ECS …]]`) read straight from the file's bytes into a binary COPY row,
 * without making a string or an object per line. Anything else — another prefix, an escaped
 * name, a trailing dot, a byte outside ASCII, an odd field — returns false and the line takes
 * the general parser (lib/parse/), which stays the reference: tests check that both paths
 * store identical rows for every line the fast path takes.
 *
 * @module
 */
import type { ZoneClock } from "../time.ts";
import { Inet } from "./address.ts";
import { ApexCache } from "./apex_cache.ts";
import type { Batch } from "./batch.ts";
import type { FastRow } from "./binary_sink.ts";
import { countExcluded } from "./counts.ts";
import type { PrivacyPolicy } from "../privacy/policy.ts";

const NL = 10, SP = 32, COLON = 58, HASH = 35, LPAREN = 40, RPAREN = 41, BACKSLASH = 92;
const CLIENT = [99, 108, 105, 101, 110, 116, 32]; // "client "
const QUERY = [113, 117, 101, 114, 121, 58, 32]; // "query: "
const VIEW = [118, 105, 101, 119, 32]; // "view "
const ECS = [32, 91, 69, 67, 83, 32]; // " [ECS "
const MONTHS: Record<number, number> = {};
["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].forEach(
  (m, i) => MONTHS[(m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2)] = i,
);

function digit(d: Uint8Array, i: number): number {
  const c = d[i] - 48;
  return c >= 0 && c <= 9 ? c : -1000;
}

function num(d: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + digit(d, i + k);
  return v;
}

function matches(d: Uint8Array, at: number, word: number[]): boolean {
  for (let k = 0; k < word.length; k++) if (d[at + k] !== word[k]) return false;
  return true;
}

/** Reads common query lines from bytes into a batch; see the module doc. */
export class FastQueryPath {
  #clock: ZoneClock;
  #nodeId: number;
  #row: FastRow;
  #names = new ApexCache();
  #name = new Uint8Array(1024);
  #minuteKey = new Uint8Array(17);
  #minuteWall = NaN;
  #dayWall = NaN;
  #privacy: PrivacyPolicy | null;

  constructor(options: { clock: ZoneClock; nodeId: number; privacy?: PrivacyPolicy | null }) {
    this.#clock = options.clock;
    this.#privacy = options.privacy ?? null;
    this.#nodeId = options.nodeId;
    this.#row = {
      us: 0,
      client: new Inet(),
      port: 0,
      domain: this.#name,
      domainLen: 0,
      apex: new Uint8Array(),
      apexStart: 0,
      apexEnd: 0,
      apexG1: 0,
      apexG2: 0,
      nameG1: 0,
      nameG2: 0,
      apexHash: 0,
      src: new Uint8Array(),
      qclass: 0,
      qclassEnd: 0,
      qtype: 0,
      qtypeEnd: 0,
      flags: 0,
      flagsEnd: 0,
      view: -1,
      viewEnd: -1,
      nodeId: options.nodeId,
      tcp: false,
      rd: false,
      edns: -1,
      dnssecOk: false,
      cd: false,
      ecs: null,
      server: new Inet(),
    };
  }

  /** The wall-clock ms of the `DD-Mon-YYYY HH:MM:SS.mmm` stamp at `s`, or NaN. */
  #wall(d: Uint8Array, s: number): number {
    if (
      d[s + 2] !== 45 || d[s + 6] !== 45 || d[s + 11] !== SP || d[s + 14] !== COLON ||
      d[s + 17] !== COLON || d[s + 20] !== 46 || d[s + 24] !== SP
    ) return NaN;
    let same = true;
    for (let k = 0; k < 17; k++) {
      if (this.#minuteKey[k] !== d[s + k]) {
        same = false;
        break;
      }
    }
    if (!same) {
      const day = num(d, s, 2), year = num(d, s + 7, 4), hh = num(d, s + 12, 2);
      const mi = num(d, s + 15, 2);
      const month = MONTHS[(d[s + 3] << 16) | (d[s + 4] << 8) | d[s + 5]];
      if (month === undefined || day < 1 || year < 1970 || hh < 0 || hh > 23 || mi < 0 || mi > 59) {
        return NaN;
      }
      const t = Date.UTC(year, month, day, hh, mi);
      if (new Date(t).getUTCDate() !== day) return NaN; // 31-Feb and the like
      this.#minuteWall = t;
      this.#minuteKey.set(d.subarray(s, s + 17));
    }
    const ss = num(d, s + 18, 2), ms = num(d, s + 21, 3);
    if (ss < 0 || ss > 59 || ms < 0) return NaN;
    return this.#minuteWall + ss * 1000 + ms;
  }

  /**
   * Encode the line that starts at d[s] into `batch` when it is in the shape; returns the
   * index of its newline, which must come before `limit` (the line is d[s, newline)), or -1.
   * The line's end is found as it is read (no scan for the newline first): every search
   * below stops at a newline, and every other byte is checked against what may stand there.
   */
  tryLine(d: Uint8Array, s: number, limit: number, batch: Batch): number {
    return this.#line(d, s, limit, batch) ? this.#end : -1;
  }

  /** The newline of the line #line last took. */
  #end = 0;

  #line(d: Uint8Array, s: number, e: number, batch: Batch): boolean {
    if (e - s < 61) return false;
    const wall = this.#wall(d, s);
    if (wall !== wall) return false;
    let p = s + 25;
    if (!matches(d, p, CLIENT)) return false;
    p += 7;
    if (d[p] === 64 /* @ */) {
      p = find(d, SP, p, e);
      if (p < 0) return false;
      p++;
    }
    // Peer: IP#PORT up to the space; the port after the last '#'.
    const peerEnd = find(d, SP, p, e);
    if (peerEnd < 0) return false;
    let hash = peerEnd - 1;
    while (hash > p && d[hash] !== HASH) hash--;
    if (hash <= p || peerEnd - hash - 1 < 1 || peerEnd - hash - 1 > 5) return false;
    const port = num(d, hash + 1, peerEnd - hash - 1);
    if (port < 0 || port > 65535) return false;
    const row = this.#row;
    if (!row.client.parseBytes(d, p, hash)) return false;
    row.port = port;
    // " (NAME): " — an escaped name could hold "\)": leave it to the general parser.
    p = peerEnd + 1;
    if (d[p] !== LPAREN) return false;
    let close = p + 1;
    for (; close < e; close++) {
      const c = d[close];
      if (c === RPAREN) break;
      if (c === BACKSLASH || c === NL) return false;
    }
    if (close >= e || d[close + 1] !== COLON || d[close + 2] !== SP) return false;
    p = close + 3;
    row.view = row.viewEnd = -1;
    if (matches(d, p, VIEW)) {
      let colon = find(d, COLON, p + 5, e);
      while (colon >= 0 && !(d[colon + 1] === SP && matches(d, colon + 2, QUERY))) {
        colon = find(d, COLON, colon + 1, e);
      }
      if (colon < 0) return false;
      row.view = p + 5;
      row.viewEnd = colon;
      p = colon + 2;
    }
    if (!matches(d, p, QUERY)) return false;
    p += 7;
    // NAME up to the space, lower-cased into the scratch buffer, hashed (FNV-1a) as it goes.
    const name = this.#name;
    const limit = Math.min(e, p + name.length);
    let h = 0x811c9dc5;
    let nameEnd = p;
    for (; nameEnd < limit; nameEnd++) {
      let c = d[nameEnd];
      if (c === SP) break;
      if (c < SP || c >= 127 || c === BACKSLASH) return false;
      if (c >= 65 && c <= 90) c += 32;
      name[nameEnd - p] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (nameEnd === p || nameEnd >= e || d[nameEnd] !== SP) return false;
    const len = nameEnd - p;
    if (len > 1 && name[len - 1] === 46) return false; // trailing dot: general parser
    // CLASS and TYPE: mnemonics (A-Z, 0-9, '-').
    const classEnd = mnemonicEnd(d, nameEnd + 1, e);
    if (classEnd < 0 || d[classEnd] !== SP) return false;
    const typeEnd = mnemonicEnd(d, classEnd + 1, e);
    if (typeEnd < 0 || d[typeEnd] !== SP) return false;
    // FLAGS: +|- then E(n) S T D C V K in any order.
    const f = typeEnd + 1;
    if (d[f] !== 43 && d[f] !== 45) return false;
    let q = f + 1, edns = -1, tcp = false, dnssecOk = false, cd = false, seen = 0;
    while (q < e && d[q] !== SP) {
      const c = d[q];
      // Each flag at most once; V and K exclude each other.
      const bit = c === 69 ? 1 : c === 83 ? 2 : c === 84 ? 4 : c === 68 ? 8 : c === 67 ? 16 : 32;
      if (seen & bit || (bit === 32 && c !== 86 && c !== 75)) return false;
      seen |= bit;
      if (c === 69 /* E */) {
        if (d[q + 1] !== LPAREN) return false;
        const r = find(d, RPAREN, q + 2, e);
        if (r < 0 || r - q - 2 < 1 || r - q - 2 > 3) return false;
        edns = num(d, q + 2, r - q - 2);
        if (edns < 0) return false;
        q = r + 1;
        continue;
      }
      if (c === 84) tcp = true;
      else if (c === 68) dnssecOk = true;
      else if (c === 67) cd = true;
      q++;
    }
    const flagsEnd = q;
    if (d[q] !== SP || d[q + 1] !== LPAREN) return false;
    const serverEnd = find(d, RPAREN, q + 2, e);
    if (serverEnd < 0 || !this.#serverAt(d, q + 2, serverEnd)) return false;
    const end = serverEnd + 1;
    row.ecs = null;
    if (end >= e) return false;
    if (d[end] === NL) e = end;
    else {
      // " [ECS ...]" and the newline right after the first ']'.
      if (!matches(d, end, ECS)) return false;
      const close = find(d, 93, /* ] */ end + 6, e);
      if (close < 0 || close + 1 >= e || d[close + 1] !== NL) return false;
      e = close + 1;
      let slash = e - 1;
      while (slash > end && d[slash] !== 47 /* / */) slash--;
      if (slash <= end + 6) return false;
      const scope = num(d, slash + 1, e - 2 - slash);
      if (scope < 0 || e - 2 - slash < 1 || e - 2 - slash > 3) return false;
      // ADDRESS/SOURCE, the source 1-3 plain digits (anything else: the general parser).
      const sub = end + 6;
      let bitsAt = slash - 1;
      while (bitsAt > sub && d[bitsAt] !== 47 /* / */) bitsAt--;
      if (bitsAt <= sub || slash - bitsAt - 1 < 1 || slash - bitsAt - 1 > 3) return false;
      const bits = num(d, bitsAt + 1, slash - bitsAt - 1);
      const ecs = this.#ecs ??= new Inet();
      if (bits < 0 || !ecs.parseBytes(d, sub, bitsAt)) return false;
      if (bits > (ecs.family === 2 ? 32 : 128)) return false;
      ecs.bits = bits;
      row.ecs = ecs;
    }
    if (e - s < 60) return false;
    this.#end = e;

    const at = this.#clock.toEpoch(wall);
    row.us = (at - 946_684_800_000) * 1000;
    row.domain = name;
    row.domainLen = len;
    const names = this.#names;
    names.get(name, len, h);
    row.apex = names.arena;
    row.apexStart = names.apexStart;
    row.apexEnd = names.apexEnd;
    row.apexG1 = names.apexG1;
    row.apexG2 = names.apexG2;
    row.nameG1 = names.nameG1;
    row.nameG2 = names.nameG2;
    row.apexHash = names.apexHash;
    row.src = d;
    row.qclass = nameEnd + 1;
    row.qclassEnd = classEnd;
    row.qtype = classEnd + 1;
    row.qtypeEnd = typeEnd;
    row.flags = f;
    row.flagsEnd = flagsEnd;
    row.tcp = tcp;
    row.rd = d[f] === 43;
    row.edns = edns;
    row.dnssecOk = dnssecOk;
    row.cd = cd;
    if (this.#privacy && !this.#privacy.fast(row)) countExcluded(batch.counts);
    else batch.addFastQuery(row, at, Math.floor(wall / 86_400_000));
    return true;
  }

  #ecs: Inet | null = null;

  /**
   * The last two server addresses parsed (a server answers on its IPv4 and IPv6 addresses):
   * their text (46 bytes each), its length (-1: none), and the address.
   */
  readonly #serverText = new Uint8Array(92);
  readonly #serverLen = [-1, -1];
  readonly #serverAddr = [new Inet(), new Inet()];
  #serverNext = 0;

  /**
   * Parse the server address d[s, e) into row.server; a text one of the last two lines had is
   * not parsed again.
   */
  #serverAt(d: Uint8Array, s: number, e: number): boolean {
    const n = e - s, text = this.#serverText, server = this.#row.server;
    for (let k = 0; k < 2; k++) {
      if (this.#serverLen[k] !== n) continue;
      let i = 0;
      const at = 46 * k;
      while (i < n && text[at + i] === d[s + i]) i++;
      if (i < n) continue;
      const a = this.#serverAddr[k];
      server.family = a.family;
      server.bits = a.bits;
      server.bytes.set(a.bytes);
      return true;
    }
    if (!server.parseBytes(d, s, e)) return false;
    if (n <= 46) {
      const k = this.#serverNext;
      this.#serverNext ^= 1;
      text.set(d.subarray(s, e), 46 * k);
      this.#serverLen[k] = n;
      const a = this.#serverAddr[k];
      a.family = server.family;
      a.bits = server.bits;
      a.bytes.set(server.bytes);
    }
    return true;
  }
}

/**
 * The first `c` in d[p, e) before any newline, or -1. A loop: TypedArray#indexOf costs a
 * call per use.
 */
function find(d: Uint8Array, c: number, p: number, e: number): number {
  for (let i = p; i < e; i++) {
    const x = d[i];
    if (x === c) return i;
    if (x === NL) return -1;
  }
  return -1;
}

function mnemonicEnd(d: Uint8Array, p: number, e: number): number {
  let q = p;
  while (q < e) {
    const c = d[q];
    if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45) q++;
    else break;
  }
  return q === p || q > p + 20 ? -1 : q;
}
