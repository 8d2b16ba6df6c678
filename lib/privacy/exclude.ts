/**
 * What is never stored: queries of clients in `DNSA_EXCLUDE_CLIENTS` (CIDRs or addresses,
 * comma-separated: monitoring probes) and of names in `DNSA_EXCLUDE_DOMAINS` (names, and
 * `*.suffix` for the suffix and every name below it: health checks). Such queries are
 * counted as `excluded` and go no further.
 *
 * @example
 * ```ts
 * const clients = parseClientList("192.0.2.0/24, 2001:db8::1");
 * const names = parseDomainList("health.example, *.probe.example");
 * clients.has(new Uint8Array([192, 0, 2, 7]), 4); // true
 * names.has("a.probe.example"); // true
 * ```
 * @module
 */
import { ipv4Bytes, ipv6Bytes } from "../ingest/address.ts";
import { normalizeDomain } from "../domain.ts";

/** A set of networks. */
export interface ClientList {
  readonly size: number;
  /** True when the address b[0..4) (family 4) or b[0..16) (family 6) is in a network. */
  has(b: Uint8Array, family: 4 | 6): boolean;
  /** The same for an address as text (false for text that is not an address). */
  hasText(addr: string): boolean;
}

/** A list entry that is not a network or name; `message` names the key and the entry. */
export class ExcludeListError extends Error {
  override name = "ExcludeListError";
}

interface Net {
  family: 4 | 6;
  bytes: Uint8Array;
  bits: number;
}

/** Parse `DNSA_EXCLUDE_CLIENTS`: comma- or space-separated `addr` or `addr/bits`. */
export function parseClientList(text: string | undefined): ClientList {
  const nets: Net[] = [];
  for (const entry of splitList(text)) {
    const slash = entry.indexOf("/");
    const addr = slash < 0 ? entry : entry.slice(0, slash);
    const bytes = new Uint8Array(16);
    const family = ipv4Bytes(addr, bytes, 0) ? 4 : ipv6Bytes(addr, bytes, 0) ? 6 : 0;
    const max = family === 4 ? 32 : 128;
    const bits = slash < 0 ? max : Number(entry.slice(slash + 1));
    if (
      family === 0 || (slash >= 0 && !/^\d+$/.test(entry.slice(slash + 1))) ||
      !(bits >= 0 && bits <= max)
    ) {
      throw new ExcludeListError(
        `DNSA_EXCLUDE_CLIENTS: "${entry}" is not an address or CIDR ` +
          "(e.g. 192.0.2.10, 192.0.2.0/24, 2001:db8::/48)",
      );
    }
    nets.push({ family, bytes, bits });
  }
  const scratch = new Uint8Array(16);
  const list: ClientList = {
    size: nets.length,
    has(b, family) {
      for (const n of nets) if (n.family === family && sameBits(n.bytes, b, n.bits)) return true;
      return false;
    },
    hasText(addr) {
      if (nets.length === 0) return false;
      if (ipv4Bytes(addr, scratch, 0)) return list.has(scratch, 4);
      if (ipv6Bytes(addr, scratch, 0)) return list.has(scratch, 6);
      return false;
    },
  };
  return list;
}

function sameBits(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (a[i] !== b[i]) return false;
  if (bits === 0) return true;
  const mask = 0xff << (8 - bits) & 0xff;
  return (a[i] & mask) === (b[i] & mask);
}

/** A set of names and suffixes. */
export interface DomainList {
  readonly size: number;
  /** True for a stored-form name (lower case, no trailing dot) on the list. */
  has(domain: string): boolean;
}

/** Parse `DNSA_EXCLUDE_DOMAINS`: comma- or space-separated `name` or `*.suffix`. */
export function parseDomainList(text: string | undefined): DomainList {
  const exact = new Set<string>();
  const suffixes = new Set<string>();
  for (const entry of splitList(text)) {
    const wild = entry.startsWith("*.");
    const name = normalizeDomain(wild ? entry.slice(2) : entry);
    if (name === "" || name.includes("*") || name.includes(" ")) {
      throw new ExcludeListError(
        `DNSA_EXCLUDE_DOMAINS: "${entry}" is not a name or *.suffix ` +
          "(e.g. health.example.com, *.probe.example.com)",
      );
    }
    (wild ? suffixes : exact).add(name);
  }
  return {
    size: exact.size + suffixes.size,
    has(domain) {
      if (exact.has(domain) || suffixes.has(domain)) return true;
      if (suffixes.size === 0) return false;
      for (let dot = domain.indexOf("."); dot >= 0; dot = domain.indexOf(".", dot + 1)) {
        if (suffixes.has(domain.slice(dot + 1))) return true;
      }
      return false;
    },
  };
}

function splitList(text: string | undefined): string[] {
  return (text ?? "").split(/[\s,]+/).map((s) => s.trim()).filter((s) => s !== "");
}
