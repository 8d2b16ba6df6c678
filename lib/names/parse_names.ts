/**
 * Client names from the operator's files: a hosts-format file (`10.10.10.31 printer`) and the
 * lease files of ISC dhcpd, dnsmasq and Kea (CSV memfile, DHCPv4 and DHCPv6). Each parser
 * returns address → name (the address as the `inet` type prints it) and never throws: a line
 * it cannot use is skipped.
 *
 * @example
 * ```ts
 * parseHostsFile("10.10.10.31 printer printer.lan # office\n"); // Map { "10.10.10.31" => "printer" }
 * detectLeaseFormat('lease 10.0.0.5 {\n  client-hostname "tv";\n}\n'); // "isc"
 * ```
 * @module
 */
import { isIP } from "node:net";

/** The lease file formats read. */
export type LeaseFormat = "isc" | "dnsmasq" | "kea";

/** Address → name. */
export type NameMap = Map<string, string>;

/** A name worth storing: printable, no spaces, at most 253 characters, no trailing dot. */
function cleanName(raw: string): string | null {
  const name = raw.trim().replace(/\.$/, "");
  const control = [...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
  if (name === "" || name === "*" || name.length > 253 || /\s/.test(name) || control) {
    return null;
  }
  return name;
}

/** An address in the form PostgreSQL prints (IPv6 lower case, IPv4 as is); null if none. */
function cleanAddress(raw: string): string | null {
  const a = raw.trim();
  const family = isIP(a);
  if (family === 0) return null;
  return family === 6 ? a.toLowerCase() : a;
}

/**
 * A hosts file: `address name [aliases...]`, `#` comments. The first name of a line names its
 * address; when an address has several lines the first one wins (as reverse lookups of
 * /etc/hosts do).
 */
export function parseHostsFile(text: string): NameMap {
  const out: NameMap = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const [addr, name] = line.split(/\s+/);
    const a = cleanAddress(addr ?? "");
    const n = cleanName(name ?? "");
    if (a && n && !out.has(a)) out.set(a, n);
  }
  return out;
}

/** Which lease format `text` is, from its content; null when none fits. */
export function detectLeaseFormat(text: string): LeaseFormat | null {
  const head = text.slice(0, 65536);
  if (/^address,(hwaddr|duid),/m.test(head)) return "kea";
  if (/^\s*(lease|lease6|ia-na|ia-ta|ia-pd)\s+\S+\s*\{/m.test(head)) return "isc";
  if (/^\d+ \S+ \S+ \S+( \S+)?$/m.test(head)) return "dnsmasq";
  if (/^\s*(#|authoring-byte-order|server-duid)/m.test(head)) return "isc";
  return null;
}

/**
 * ISC dhcpd's dhcpd.leases: `lease ADDR { ... binding state active; client-hostname "x"; }`.
 * The file is appended to, so the last block of an address is its current lease; a lease not
 * in state active (free, expired, released, abandoned) names nothing.
 */
export function parseIscLeases(text: string): NameMap {
  const out: NameMap = new Map();
  const block = /^\s*lease\s+(\S+)\s*\{([^}]*)\}/gm;
  for (const m of text.matchAll(block)) {
    const a = cleanAddress(m[1]);
    if (!a) continue;
    const body = m[2];
    const state = /^\s*binding state (\w+);/m.exec(body)?.[1];
    const host = /^\s*client-hostname\s+"((?:[^"\\]|\\.)*)";/m.exec(body)?.[1];
    const n = host === undefined ? null : cleanName(host.replace(/\\(.)/g, "$1"));
    if ((state === undefined || state === "active") && n) out.set(a, n);
    else out.delete(a);
  }
  return out;
}

/**
 * dnsmasq's dnsmasq.leases: `expiry mac-or-iaid address name client-id`, one lease a line
 * (`*` = no name); the `duid ...` line of DHCPv6 is skipped.
 */
export function parseDnsmasqLeases(text: string): NameMap {
  const out: NameMap = new Map();
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+$/.test(f[0])) continue;
    const a = cleanAddress(f[2]);
    const n = cleanName(f[3]);
    if (a && n) out.set(a, n);
  }
  return out;
}

/**
 * Kea's CSV memfile (kea-leases4.csv, kea-leases6.csv): columns by the header's names
 * (`address`, `hostname`, `valid_lifetime`, `state`). The file is appended to, so the last row
 * of an address wins; a row with valid_lifetime 0 (deleted) or a state other than 0 (declined,
 * expired-reclaimed) names nothing. Kea writes a comma inside a value as `&#x2c`.
 */
export function parseKeaLeases(text: string): NameMap {
  const out: NameMap = new Map();
  const lines = text.split("\n");
  let cols: Map<string, number> | null = null;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("address,")) {
      cols = new Map(line.split(",").map((c, i) => [c.trim(), i]));
      continue;
    }
    if (!cols || line.trim() === "") continue;
    const f = line.split(",").map((v) => v.replaceAll("&#x2c", ","));
    const a = cleanAddress(f[cols.get("address") ?? -1] ?? "");
    if (!a) continue;
    const lifetime = f[cols.get("valid_lifetime") ?? -1];
    const state = f[cols.get("state") ?? -1];
    const n = cleanName(f[cols.get("hostname") ?? -1] ?? "");
    if (lifetime !== "0" && (state === undefined || state === "0") && n) out.set(a, n);
    else out.delete(a);
  }
  return out;
}

/** The names of a lease file in any of the formats; the format found, null if none. */
export function parseLeaseFile(text: string): { format: LeaseFormat | null; names: NameMap } {
  const format = detectLeaseFormat(text);
  if (format === "isc") return { format, names: parseIscLeases(text) };
  if (format === "kea") return { format, names: parseKeaLeases(text) };
  if (format === "dnsmasq") return { format, names: parseDnsmasqLeases(text) };
  return { format: null, names: new Map() };
}
