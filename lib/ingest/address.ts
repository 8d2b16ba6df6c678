/**
 * Addresses as PostgreSQL's binary `inet` wants them, checked before rows reach COPY: one
 * value the server refuses would abort the whole batch, so a line with an unusable address
 * is rejected on its own instead.
 *
 * @module
 */
import type { InetBytes } from "../db/binary_copy.ts";

/** Write the 4 bytes of a dotted-quad IPv4 address at `out[at]`; false if it is not one. */
export function ipv4Bytes(s: string, out: Uint8Array, at: number): boolean {
  if (s.length > 15) return false;
  // The byte reader below is the one parser; a string this short is copied as ASCII.
  const ascii = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return false;
    ascii[i] = c;
  }
  return ipv4BytesOf(ascii, 0, ascii.length, out, at);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** {@linkcode ipv4Bytes} of the ASCII text in d[s, e). */
export function ipv4BytesOf(d: Uint8Array, s: number, e: number, out: Uint8Array, at: number) {
  let parts = 0, digits = 0, value = 0;
  for (let i = s; i < e; i++) {
    const c = d[i];
    if (c === 46) {
      if (digits === 0 || parts === 3) return false;
      out[at + parts++] = value;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  if (parts !== 3 || digits === 0) return false;
  out[at + 3] = value;
  return true;
}

const TEXT = new Uint8Array(45);

/** Write the 16 bytes of an IPv6 address (any RFC 4291 text form) at `out[at]`. */
export function ipv6Bytes(s: string, out: Uint8Array, at: number): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return false;
    TEXT[i] = c;
  }
  return ipv6BytesOf(TEXT, 0, n, out, at);
}

const GROUPS = new Uint16Array(8);
const TAIL = new Uint8Array(4);

/** {@linkcode ipv6Bytes} of the ASCII text in d[s, e), without making a string. */
export function ipv6BytesOf(d: Uint8Array, s: number, e: number, out: Uint8Array, at: number) {
  const n = e - s;
  if (n < 2 || n > 45) return false;
  let count = 0;
  let gap = -1; // index in the groups where "::" stands
  let i = s;
  if (d[s] === 58) {
    if (d[s + 1] !== 58) return false;
    gap = 0;
    i = s + 2;
    if (i === e) return fill(count, gap, out, at);
  }
  for (;;) {
    // One group, or a trailing dotted IPv4.
    let v = 0, digits = 0, j = i;
    for (; j < e; j++) {
      const h = hexValue(d[j]);
      if (h < 0) break;
      v = v * 16 + h;
      if (++digits > 4) return false;
    }
    if (j < e && d[j] === 46) {
      if (count > 6 || !ipv4BytesOf(d, i, e, TAIL, 0)) return false;
      GROUPS[count++] = (TAIL[0] << 8) | TAIL[1];
      GROUPS[count++] = (TAIL[2] << 8) | TAIL[3];
      return fill(count, gap, out, at);
    }
    // A ninth group can only end in a refusal.
    if (digits === 0 || count === 8) return false;
    GROUPS[count++] = v;
    if (j === e) return fill(count, gap, out, at);
    if (d[j] !== 58) return false;
    if (j + 1 < e && d[j + 1] === 58) {
      if (gap >= 0) return false;
      gap = count;
      i = j + 2;
      if (i === e) return fill(count, gap, out, at);
    } else {
      i = j + 1;
      if (i === e) return false;
    }
  }
}

function fill(count: number, gap: number, out: Uint8Array, at: number): boolean {
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const zeros = 8 - count;
  let k = 0;
  for (let g = 0; g < 8; g++) {
    const v = gap >= 0 && g >= gap && g < gap + zeros ? 0 : GROUPS[k++];
    out[at + 2 * g] = v >> 8;
    out[at + 2 * g + 1] = v & 0xff;
  }
  return true;
}

/** True for an IPv4 or IPv6 address. */
export function isIpAddress(s: string): boolean {
  const scratch = new Uint8Array(16);
  return ipv4Bytes(s, scratch, 0) || ipv6Bytes(s, scratch, 0);
}

/** True for `address/prefix` with a prefix that fits the address family. */
export function isSubnet(s: string): boolean {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return isIpAddress(s);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const scratch = new Uint8Array(16);
  const addr = s.slice(0, slash);
  if (ipv4Bytes(addr, scratch, 0)) return Number(bits) <= 32;
  return ipv6Bytes(addr, scratch, 0) && Number(bits) <= 128;
}

/**
 * An address parsed for binary `inet` (lib/db/binary_copy.ts): family 2 (IPv4) or 3 (IPv6),
 * bytes, prefix bits. One object is reused for every row.
 */
export class Inet implements InetBytes {
  bytes = new Uint8Array(16);
  family = 0;
  bits = 0;

  /** Parse `addr` or, `withPrefix`, `addr/bits`; false when it is not an address. */
  parse(s: string, withPrefix: boolean): boolean {
    let addr = s, bits = -1;
    if (withPrefix) {
      const slash = s.lastIndexOf("/");
      if (slash > 0) {
        addr = s.slice(0, slash);
        bits = Number(s.slice(slash + 1));
        if (!Number.isInteger(bits) || bits < 0) return false;
      }
    }
    if (ipv4Bytes(addr, this.bytes, 0)) {
      this.family = 2;
      this.bits = bits < 0 ? 32 : bits;
      return this.bits <= 32;
    }
    if (ipv6Bytes(addr, this.bytes, 0)) {
      this.family = 3;
      this.bits = bits < 0 ? 128 : bits;
      return this.bits <= 128;
    }
    return false;
  }

  /** Parse the host address (IPv4 or IPv6, no zone) in the ASCII bytes d[s, e). */
  parseBytes(d: Uint8Array, s: number, e: number): boolean {
    // Dotted-quad IPv4 in one pass; anything else takes the IPv6 reader (which refuses what
    // is neither).
    const out = this.bytes;
    let parts = 0, digits = 0, value = 0, i = s;
    for (; i < e; i++) {
      const c = d[i];
      if (c === 46) {
        if (digits === 0 || parts === 3) break;
        out[parts++] = value;
        digits = value = 0;
      } else if (c >= 48 && c <= 57) {
        value = value * 10 + c - 48;
        if (++digits > 3 || value > 255) break;
      } else break;
    }
    if (i === e && parts === 3 && digits > 0) {
      out[3] = value;
      this.family = 2;
      this.bits = 32;
      return true;
    }
    if (!ipv6BytesOf(d, s, e, out, 0)) return false;
    this.family = 3;
    this.bits = 128;
    return true;
  }
}
