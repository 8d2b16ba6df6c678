/**
 * Address checks before rows reach COPY: one value PostgreSQL's `inet` refuses would abort
 * the whole batch, so a line with an unusable address is rejected on its own instead.
 *
 * @module
 */

/** True for a dotted-quad IPv4 address. */
export function isIpv4(s: string): boolean {
  let parts = 0, digits = 0, value = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return parts === 3 && digits > 0;
}

/** True for an IPv6 address in any RFC 4291 text form (with an embedded IPv4 tail too). */
export function isIpv6(s: string): boolean {
  if (s.length < 2 || s.length > 45 || s.indexOf(":") < 0) return false;
  const dbl = s.indexOf("::");
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return false;
  const groups = s.split(":");
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (g === "") continue; // part of "::" (validated above)
    if (i === groups.length - 1 && g.indexOf(".") >= 0) {
      if (!isIpv4(g)) return false;
      count += 2;
      continue;
    }
    if (g.length > 4 || !/^[0-9A-Fa-f]+$/.test(g)) return false;
    count++;
  }
  if (s.startsWith(":") && !s.startsWith("::")) return false;
  if (s.endsWith(":") && !s.endsWith("::")) return false;
  return dbl >= 0 ? count < 8 : count === 8;
}

/** True for an IPv4 or IPv6 address. */
export function isIpAddress(s: string): boolean {
  return isIpv4(s) || isIpv6(s);
}

/** True for `address/prefix` with a prefix that fits the address family. */
export function isSubnet(s: string): boolean {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return isIpAddress(s);
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  return isIpv4(addr) ? n <= 32 : isIpv6(addr) && n <= 128;
}
