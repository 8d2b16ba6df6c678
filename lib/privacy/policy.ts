/**
 * The privacy policy: one object, made from the configuration, that every ingest path applies
 * to a parsed row before the row is batched (so no row, statistics row, KMV sketch, reject
 * sample or log line ever holds what it removes):
 *
 * 1. exclusion (`DNSA_EXCLUDE_CLIENTS`, `DNSA_EXCLUDE_DOMAINS`): the row is dropped and
 *    counted as `excluded`;
 * 2. name detail (`DNSA_DOMAIN_DETAIL=apex`): `domain` becomes the registrable domain;
 * 3. client address (`DNSA_CLIENT_IP`): truncated or pseudonymised (lib/privacy/client_ip.ts),
 *    the client-supplied ECS subnet with it. With `DNSA_CLIENT_IP_FULL_DAYS=N` ingest keeps
 *    full addresses and the retention job rewrites days older than N (lib/privacy/tiers.ts).
 *
 * Reject samples are redacted whenever `DNSA_CLIENT_IP` is not `full`: every address in a
 * sample is replaced by what the configured mode stores of it.
 *
 * @example
 * ```ts
 * const policy = createPrivacyPolicy({ clientIp: "truncate" });
 * policy.row({ client: "192.0.2.77", domain: "www.example.com", apex: "example.com" });
 * // { client: "192.0.2.0", domain: "www.example.com", apex: "example.com" }
 * ```
 * @module
 */
import type { FastRow } from "../ingest/binary_sink.ts";
import { ipv4Bytes, ipv6Bytes } from "../ingest/address.ts";
import {
  type ClientIpMode,
  type ClientTransform,
  createClientTransform,
  maskBytes,
  readClientKey,
} from "./client_ip.ts";
import { type DomainDetail, storedDomain } from "./domain_detail.ts";
import { type ClientList, type DomainList, parseClientList, parseDomainList } from "./exclude.ts";

/** The privacy settings of the configuration (see lib/privacy/config.ts). */
export interface PrivacySettings {
  clientIp?: ClientIpMode;
  /** `[ipv4, ipv6]` prefix lengths of `truncate`. */
  prefix?: readonly [number, number];
  /** Path of the HMAC key of `hash`. */
  keyFile?: string | null;
  /** The key itself (tests); wins over keyFile. */
  key?: Uint8Array;
  /** Days full addresses are kept before the retention job rewrites them; 0 = never. */
  fullDays?: number;
  excludeClients?: string;
  excludeDomains?: string;
  domainDetail?: DomainDetail;
}

/** The fields of a row the policy looks at. */
export interface PolicyRow {
  client: string;
  domain: string | null;
  apex: string | null;
}

/** What the ingest paths apply; see the module doc. */
export interface PrivacyPolicy {
  /** False when nothing is configured: the paths may skip the policy entirely. */
  readonly active: boolean;
  /** What ingest stores of an address (`full` while a tier keeps them for N days). */
  readonly ingest: ClientTransform;
  /** What is stored of an address once it is older than the tier (the configured mode). */
  readonly stored: ClientTransform;
  readonly fullDays: number;
  readonly domainDetail: DomainDetail;
  /** The row as stored, or null when it is excluded. */
  row<T extends PolicyRow>(row: T): T | null;
  /** A client-supplied subnet (ECS) as ingest stores it. */
  subnet(subnet: string | null): string | null;
  /** Apply to a row of the fast path in place; false when it is excluded. */
  fast(row: FastRow): boolean;
  /** A reject sample with every address replaced (unchanged in `full` mode). */
  redactSample(sample: Uint8Array): Uint8Array;
  /** Text (a filter in an access log) with every address replaced as samples are. */
  redactText(text: string): string;
}

/** Make the policy; reads the key file of `hash` mode (throws ClientKeyError). */
export function createPrivacyPolicy(settings: PrivacySettings = {}): PrivacyPolicy {
  const mode = settings.clientIp ?? "full";
  const fullDays = settings.fullDays ?? 0;
  const key = mode === "hash" ? settings.key ?? readClientKey(settings.keyFile ?? "") : undefined;
  const [prefix4, prefix6] = settings.prefix ?? [24, 56];
  const stored = createClientTransform({ mode, prefix4, prefix6, key });
  const ingest = fullDays > 0 ? createClientTransform({ mode: "full" }) : stored;
  const clients: ClientList = parseClientList(settings.excludeClients);
  const domains: DomainList = parseDomainList(settings.excludeDomains);
  const detail = settings.domainDetail ?? "full";
  const active = mode !== "full" || clients.size > 0 || domains.size > 0 || detail !== "full";
  const redact = (text: string) => mode === "full" ? text : replaceAddresses(text, stored);
  return {
    active,
    ingest,
    stored,
    fullDays,
    domainDetail: detail,
    row(r) {
      if (clients.size > 0 && clients.hasText(r.client)) return null;
      if (domains.size > 0 && r.domain !== null && domains.has(r.domain)) return null;
      const client = ingest.text(r.client);
      if (client === null) return null;
      const domain = r.domain === null || detail === "full"
        ? r.domain
        : storedDomain(detail, r.domain, r.apex ?? undefined);
      return { ...r, client, domain };
    },
    subnet(subnet) {
      return subnet === null ? null : ingest.subnet(subnet);
    },
    fast(r) {
      const c = r.client;
      const family = c.family === 2 ? 4 : 6;
      if (clients.size > 0 && clients.has(c.bytes, family)) return false;
      if (domains.size > 0 && domains.has(latin1(r.domain, 0, r.domainLen))) return false;
      if (detail === "apex") {
        r.domain = r.apex.subarray(r.apexStart, r.apexEnd);
        r.domainLen = r.apexEnd - r.apexStart;
        r.nameG1 = r.apexG1; // the name stored is the apex: its hashes
        r.nameG2 = r.apexG2;
      }
      if (ingest.mode === "full") return true;
      const out = ingest.bytes(c.bytes, family);
      c.family = out === 4 ? 2 : 3;
      c.bits = out === 4 ? 32 : 128;
      if (r.ecs !== null) {
        if (ingest.mode === "hash") r.ecs = null;
        else {
          const e = r.ecs, fam = e.family === 2 ? 4 : 6;
          const bits = Math.min(e.bits, fam === 4 ? prefix4 : prefix6);
          maskBytes(e.bytes, fam === 4 ? 4 : 16, bits);
          e.bits = bits;
        }
      }
      return true;
    },
    redactSample(sample) {
      if (mode === "full") return sample;
      let s = "";
      for (let i = 0; i < sample.length; i++) s += String.fromCharCode(sample[i]);
      const r = replaceAddresses(s, stored);
      const out = new Uint8Array(r.length);
      for (let i = 0; i < r.length; i++) out[i] = r.charCodeAt(i) & 0xff;
      return out;
    },
    redactText: redact,
  };
}

function latin1(b: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]);
  return out;
}

const V4 = /(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?![0-9])/g;
const V6 = /(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}/g;
const scratch = new Uint8Array(16);

/** Every IPv4 and IPv6 address in `text` replaced by what `t` stores of it. */
export function replaceAddresses(text: string, t: ClientTransform): string {
  const v6 = text.replace(V6, (m) => {
    if (!ipv6Bytes(m, scratch, 0)) return m;
    // A pseudonym (100::/64) is what hash mode stores already: it stays.
    if (t.mode === "hash" && isPseudonym(scratch)) return m;
    return t.text(m) ?? m;
  });
  return v6.replace(V4, (m) => ipv4Bytes(m, scratch, 0) ? t.text(m) ?? m : m);
}

function isPseudonym(b: Uint8Array): boolean {
  if (b[0] !== 0x01) return false;
  for (let i = 1; i < 8; i++) if (b[i] !== 0) return false;
  return true;
}
