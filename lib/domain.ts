/**
 * Domain names as stored: {@linkcode normalizeDomain} turns a name as BIND logs it into the
 * stored text, {@linkcode apexDomain} finds the registrable domain it belongs to.
 *
 * @module
 */

import { getDomain } from "tldts";

/**
 * Normalize a query name as BIND prints it (`dns_name_totext`, master-file escapes):
 *
 * - ASCII `A`–`Z` lower-cased (also when written `\065`), other characters untouched;
 * - the trailing dot removed (the root stays `.`);
 * - printable escapes decoded: `\@` → `@`, `\(` → `(`, `\\` → `\`, `\"` → `"`, `\032` → space,
 *   and runs of `\DDD` bytes decoded together as UTF-8 (`caf\195\169` → `café`);
 * - kept in BIND's escaped form because they cannot be stored as text or are not printable:
 *   NUL and other control bytes (`\000`, `\001`–`\031`, `\127`), bytes that are not valid UTF-8
 *   (`\255`), and `\.` (a dot inside a label, which would otherwise split it).
 *
 * Fast path: a name without `\`, upper case or a trailing dot is returned as is.
 *
 * @example
 * ```ts
 * normalizeDomain("wwW.gOOGle.COm");            // "www.google.com"
 * normalizeDomain("caf\\195\\169.example.co.ug"); // "café.example.co.ug"
 * normalizeDomain("a\\.b.example.com.");        // "a\\.b.example.com"
 * ```
 */
export function normalizeDomain(qname: string): string {
  const len = qname.length;
  let i = 0;
  for (; i < len; i++) {
    const c = qname.charCodeAt(i);
    if (c === 92 || (c >= 65 && c <= 90)) break;
  }
  if (i === len) {
    return len > 1 && qname.charCodeAt(len - 1) === 46 ? qname.slice(0, -1) : qname;
  }
  let out = qname.slice(0, i);
  let trailingDot = false;
  while (i < len) {
    const c = qname.charCodeAt(i);
    trailingDot = false;
    if (c !== 92) {
      out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : qname[i];
      trailingDot = c === 46;
      i++;
    } else if (decimalEscape(qname, i) >= 0) {
      const bytes: number[] = [];
      let v: number;
      while ((v = decimalEscape(qname, i)) >= 0) {
        bytes.push(v);
        i += 4;
      }
      out += decodeBytes(bytes);
    } else if (i + 1 < len) {
      const e = qname.charCodeAt(i + 1);
      out += e === 46 ? "\\." : e >= 65 && e <= 90 ? String.fromCharCode(e + 32) : qname[i + 1];
      i += 2;
    } else {
      out += "\\"; // a dangling backslash: keep it
      i++;
    }
  }
  return trailingDot && out.length > 1 ? out.slice(0, -1) : out;
}

/** Value of a `\DDD` escape (0–255) at `at`, or -1. */
function decimalEscape(s: string, at: number): number {
  if (s.charCodeAt(at) !== 92) return -1;
  const a = s.charCodeAt(at + 1) - 48, b = s.charCodeAt(at + 2) - 48, c = s.charCodeAt(at + 3) - 48;
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9)) return -1;
  const v = a * 100 + b * 10 + c;
  return v <= 255 ? v : -1;
}

/** Decode a run of escaped bytes: UTF-8 where valid, `\DDD` where not storable/printable. */
function decodeBytes(bytes: number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) {
      if (b < 0x20 || b === 0x7f) out += escapeByte(b);
      else if (b === 0x2e) out += "\\.";
      else out += String.fromCharCode(b >= 65 && b <= 90 ? b + 32 : b);
      i++;
      continue;
    }
    const n = utf8Length(bytes, i);
    if (n === 0) {
      out += escapeByte(b);
      i++;
      continue;
    }
    let cp = b & (n === 2 ? 0x1f : n === 3 ? 0x0f : 0x07);
    for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f);
    out += String.fromCodePoint(cp);
    i += n;
  }
  return out;
}

/** Length of a well-formed UTF-8 sequence at `i` (Unicode Table 3-7), or 0. */
function utf8Length(bytes: number[], i: number): number {
  const b = bytes[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf) =>
    i + k < bytes.length && bytes[i + k] >= lo && bytes[i + k] <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const lo = b === 0xe0 ? 0xa0 : 0x80, hi = b === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const lo = b === 0xf0 ? 0x90 : 0x80, hi = b === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function escapeByte(b: number): string {
  return "\\" + String(b).padStart(3, "0");
}

/** Special-use and customary private suffixes: the apex is one label below them. */
const PRIVATE_SUFFIXES = [".home.arpa", ".local", ".lan", ".internal", ".localdomain", ".home"];

/**
 * The registrable domain ("apex") of a normalized domain, for grouping:
 *
 * - public names: the public suffix list (ICANN section, via `tldts`), so `www.bbc.co.uk` →
 *   `bbc.co.uk`, `x.mtn.co.ug` → `mtn.co.ug`; underscores and odd labels are accepted;
 * - IPv4 reverse names: the /24 zone (`8.8.8.8.in-addr.arpa` → `8.8.8.in-addr.arpa`); IPv6
 *   reverse names: the /48 (12 nibbles + `ip6.arpa`); shorter reverse names stay themselves;
 * - private names (`home.arpa`, `.local`, `.lan`, `.internal`, `.localdomain`, `.home`, and any
 *   other TLD not in the list): one label below the suffix (`www.codeandcore.home` →
 *   `codeandcore.home`, `nas.x.home.arpa` → `x.home.arpa`);
 * - a single label (`wpad`), the root `.`, `""` and a bare public suffix (`co.uk`) stay as they
 *   are; names `tldts` cannot place fall back to their last two labels.
 *
 * Never throws.
 *
 * @example
 * ```ts
 * apexDomain("www.google.com");       // "google.com"
 * apexDomain("8.8.8.8.in-addr.arpa"); // "8.8.8.in-addr.arpa"
 * apexDomain("wpad");                 // "wpad"
 * ```
 */
export function apexDomain(domain: string): string {
  const name = domain.length > 1 && domain.endsWith(".") ? domain.slice(0, -1) : domain;
  const lastDot = name.lastIndexOf(".");
  if (lastDot <= 0) return name; // single label, root, empty
  if (name.endsWith(".arpa")) {
    if (name.endsWith(".in-addr.arpa")) return lastLabels(name, 3 + 2);
    if (name.endsWith(".ip6.arpa")) return lastLabels(name, 12 + 2);
  }
  for (const suffix of PRIVATE_SUFFIXES) {
    if (name.endsWith(suffix)) {
      return lastLabels(name, suffix.split(".").length);
    }
  }
  try {
    const apex = getDomain(name, {
      allowPrivateDomains: false,
      extractHostname: false,
      validateHostname: false,
      detectIp: false,
      mixedInputs: false,
    });
    if (apex) return apex;
  } catch {
    // fall through to the last two labels
  }
  return isBarePublicSuffix(name) ? name : lastLabels(name, 2);
}

/** The last `n` labels of `name` (all of it when it has fewer). */
function lastLabels(name: string, n: number): string {
  let at = name.length;
  for (let k = 0; k < n; k++) {
    at = name.lastIndexOf(".", at - 1);
    if (at < 0) return name;
  }
  return name.slice(at + 1);
}

/** True when `name` is itself a public suffix (`co.uk`): tldts finds no domain for it. */
function isBarePublicSuffix(name: string): boolean {
  try {
    return getDomain("x." + name, { extractHostname: false, validateHostname: false }) ===
      "x." + name;
  } catch {
    return false;
  }
}
