/**
 * What is stored of a client's address (`DNSA_CLIENT_IP`):
 *
 * - `full`: the address as logged.
 * - `truncate`: the network of the address at `DNSA_CLIENT_IP_PREFIX` bits (default 24 for
 *   IPv4, 56 for IPv6), stored as a host address: `192.0.2.77` → `192.0.2.0`. Every client of
 *   one prefix is then one client: unique-client counts count prefixes, exactly.
 * - `hash`: a keyed pseudonym, HMAC-SHA-256 (key from `DNSA_CLIENT_IP_KEY_FILE`) of the
 *   address family and bytes, of which the first 64 bits are put into the IPv6 discard-only
 *   prefix `100::/64` (RFC 6666): `192.0.2.77` → `100::8c1f:2e0a:91d4:73b5`. So the
 *   `client_ip inet` column, grouping, the KMV sketches (hashes of the inet) and unique-client
 *   counts work unchanged, and a pseudonym can never be a real client (nothing is ever sent
 *   from 100::/64). Unique-client counts count pseudonyms: exact unless two addresses share
 *   64 bits of HMAC (probability below n²/2⁶⁵: 3·10⁻⁸ for a million distinct clients). The
 *   same address gets the same pseudonym on every node that has the same key; a new key gives
 *   new pseudonyms from then on. The key stays in the process: never in the database.
 *
 * @example
 * ```ts
 * const t = createClientTransform({ mode: "truncate", prefix4: 24, prefix6: 56 });
 * t.text("192.0.2.77"); // "192.0.2.0"
 * ```
 * @module
 */
import { createHmac } from "node:crypto";
import { ipv4Bytes, ipv6Bytes } from "../ingest/address.ts";

/** `DNSA_CLIENT_IP`. */
export type ClientIpMode = "full" | "truncate" | "hash";

/** Options of {@linkcode createClientTransform}. */
export interface ClientTransformOptions {
  mode: ClientIpMode;
  /** Prefix length kept of IPv4 addresses in `truncate` mode (0–32). */
  prefix4?: number;
  /** Prefix length kept of IPv6 addresses in `truncate` mode (0–128). */
  prefix6?: number;
  /** The HMAC key of `hash` mode (at least 16 bytes). */
  key?: Uint8Array;
}

/** The prefix every pseudonym lives in (RFC 6666 discard-only, never a real source). */
export const PSEUDONYM_PREFIX = "100::/64";

/** The key file could not be used; the message says what to do. */
export class ClientKeyError extends Error {
  override name = "ClientKeyError";
}

/** Minimum key length in bytes. */
export const MIN_KEY_BYTES = 16;

/**
 * Read the HMAC key of `hash` mode: the file's bytes, surrounding white space removed (so
 * `openssl rand -hex 32 > key` works). At least {@linkcode MIN_KEY_BYTES} bytes.
 */
export function readClientKey(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied (the service user must be able to read it; mode 0400)"
      : (error as Error).message;
    throw new ClientKeyError(
      `DNSA_CLIENT_IP_KEY_FILE: cannot read "${path}": ${why}; create it with ` +
        "`openssl rand -hex 32 > FILE` (the same file on every node that must agree)",
      { cause: error },
    );
  }
  let s = 0, e = bytes.length;
  while (s < e && isSpace(bytes[s])) s++;
  while (e > s && isSpace(bytes[e - 1])) e--;
  const key = bytes.slice(s, e);
  if (key.length < MIN_KEY_BYTES) {
    throw new ClientKeyError(
      `DNSA_CLIENT_IP_KEY_FILE: "${path}" holds ${key.length} bytes; a key needs at least ` +
        `${MIN_KEY_BYTES} (e.g. \`openssl rand -hex 32 > ${path}\`)`,
    );
  }
  return key;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Turns client addresses into what is stored; pure apart from a bounded cache. */
export interface ClientTransform {
  readonly mode: ClientIpMode;
  /** Bits kept of IPv4 and IPv6 addresses in `truncate` mode. */
  readonly prefix4: number;
  readonly prefix6: number;
  /**
   * Rewrite an address in place: `bytes[0..4)` (family 4) or `bytes[0..16)` (family 6).
   * Returns the family of the result (a pseudonym is always 6).
   */
  bytes(bytes: Uint8Array, family: 4 | 6): 4 | 6;
  /** The stored text of an address; null when `addr` is not an address. */
  text(addr: string): string | null;
  /**
   * A client-supplied subnet (ECS `addr/bits`) as stored: `full` keeps it, `truncate`
   * shortens it to at most the configured prefix, `hash` drops it (null).
   */
  subnet(subnet: string): string | null;
}

/** Make the transform of `options.mode`. */
export function createClientTransform(options: ClientTransformOptions): ClientTransform {
  const prefix4 = options.prefix4 ?? 24, prefix6 = options.prefix6 ?? 56;
  if (options.mode === "hash" && (!options.key || options.key.length < MIN_KEY_BYTES)) {
    throw new ClientKeyError("DNSA_CLIENT_IP=hash needs a key (DNSA_CLIENT_IP_KEY_FILE)");
  }
  const key = options.key ?? new Uint8Array();
  const cache = new Map<string, string | null>();
  const scratch = new Uint8Array(16);
  const transform: ClientTransform = {
    mode: options.mode,
    prefix4,
    prefix6,
    bytes(b, family) {
      if (options.mode === "full") return family;
      if (options.mode === "truncate") {
        maskBytes(b, family === 4 ? 4 : 16, family === 4 ? prefix4 : prefix6);
        return family;
      }
      pseudonymInto(key, b, family, b);
      return 6;
    },
    text(addr) {
      if (options.mode === "full") return addr;
      let out = cache.get(addr);
      if (out !== undefined) return out;
      const family = ipv4Bytes(addr, scratch, 0) ? 4 : ipv6Bytes(addr, scratch, 0) ? 6 : 0;
      if (family === 0) out = null;
      else out = formatAddress(scratch, transform.bytes(scratch, family));
      if (cache.size >= 100_000) cache.clear();
      cache.set(addr, out);
      return out;
    },
    subnet(subnet) {
      if (options.mode === "full") return subnet;
      if (options.mode === "hash") return null;
      const slash = subnet.lastIndexOf("/");
      const addr = slash < 0 ? subnet : subnet.slice(0, slash);
      const family = ipv4Bytes(addr, scratch, 0) ? 4 : ipv6Bytes(addr, scratch, 0) ? 6 : 0;
      if (family === 0) return null;
      const max = family === 4 ? 32 : 128;
      const given = slash < 0 ? max : Number(subnet.slice(slash + 1));
      if (!Number.isInteger(given) || given < 0 || given > max) return null;
      const bits = Math.min(given, family === 4 ? prefix4 : prefix6);
      maskBytes(scratch, family === 4 ? 4 : 16, bits);
      return `${formatAddress(scratch, family)}/${bits}`;
    },
  };
  return transform;
}

/** Zero every bit of b[0..n) after the first `bits`. */
export function maskBytes(b: Uint8Array, n: number, bits: number): void {
  for (let i = 0; i < n; i++) {
    const keep = bits - i * 8;
    if (keep >= 8) continue;
    b[i] = keep <= 0 ? 0 : b[i] & (0xff << (8 - keep));
  }
}

/** The pseudonym of the address in `b` (family 4: 4 bytes, 6: 16) into out[0..16). */
function pseudonymInto(key: Uint8Array, b: Uint8Array, family: 4 | 6, out: Uint8Array): void {
  const n = family === 4 ? 4 : 16;
  const input = new Uint8Array(1 + n);
  input[0] = family;
  input.set(b.subarray(0, n), 1);
  const digest = createHmac("sha256", key).update(input).digest();
  out.fill(0, 0, 8);
  out[0] = 0x01; // 0100::/64
  for (let i = 0; i < 8; i++) out[8 + i] = digest[i];
}

/** The pseudonym (text) of an address under `key`; null when `addr` is not an address. */
export function pseudonymOf(key: Uint8Array, addr: string): string | null {
  const b = new Uint8Array(16);
  const family = ipv4Bytes(addr, b, 0) ? 4 : ipv6Bytes(addr, b, 0) ? 6 : 0;
  if (family === 0) return null;
  pseudonymInto(key, b, family, b);
  return formatAddress(b, 6);
}

/** Text of an address (IPv6 in RFC 5952 form: lower case, the longest zero run as `::`). */
export function formatAddress(b: Uint8Array, family: 4 | 6): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1]);
  let bestAt = -1, bestLen = 1, runAt = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      if (runAt < 0) runAt = i;
    } else if (runAt >= 0) {
      if (i - runAt > bestLen) {
        bestAt = runAt;
        bestLen = i - runAt;
      }
      runAt = -1;
    }
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}
