/**
 * Addresses as PostgreSQL's binary `inet` wants them, checked before rows reach COPY: one
 * value the server refuses would abort the whole batch, so a line with an unusable address
 * is rejected on its own instead.
 *
 * @module
 */

/** Write the 4 bytes of a dotted-quad IPv4 address at `out[at]`; false if it is not one. */
export function ipv4Bytes(s: string, out: Uint8Array, at: number): boolean {
  let parts = 0, digits = 0, value = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
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

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Write the 16 bytes of an IPv6 address (any RFC 4291 text form) at `out[at]`. */
export function ipv6Bytes(s: string, out: Uint8Array, at: number): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  const groups: number[] = [];
  let gap = -1; // index in groups where "::" stands
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === n) return fill(groups, gap, out, at);
  }
  for (;;) {
    // One group, or a trailing dotted IPv4.
    let v = 0, d = 0, j = i;
    for (; j < n; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      if (++d > 4) return false;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      const tail = new Uint8Array(4);
      if (!ipv4Bytes(s.slice(i), tail, 0)) return false;
      groups.push((tail[0] << 8) | tail[1], (tail[2] << 8) | tail[3]);
      return fill(groups, gap, out, at);
    }
    if (d === 0) return false;
    groups.push(v);
    if (j === n) return fill(groups, gap, out, at);
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = groups.length;
      i = j + 2;
      if (i === n) return fill(groups, gap, out, at);
    } else {
      i = j + 1;
      if (i === n) return false;
    }
  }
}

function fill(groups: number[], gap: number, out: Uint8Array, at: number): boolean {
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return false;
  const zeros = 8 - groups.length;
  let k = 0;
  for (let g = 0; g < 8; g++) {
    const v = gap >= 0 && g >= gap && g < gap + zeros ? 0 : groups[k++];
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
