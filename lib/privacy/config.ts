/**
 * The privacy keys of the configuration, kept beside their code: lib/config.ts spreads
 * {@linkcode PRIVACY_KEYS} into its known keys and {@linkcode PRIVACY_SCHEMA} into its zod
 * schema, and turns the parsed values into {@linkcode PrivacySettings} with
 * {@linkcode privacySettingsOf}.
 *
 * | key | meaning, default |
 * | --- | --- |
 * | `DNSA_CLIENT_IP` | `full` (default), `truncate`, `hash` |
 * | `DNSA_CLIENT_IP_PREFIX` | `truncate`: IPv4,IPv6 prefix lengths kept, default `24,56` |
 * | `DNSA_CLIENT_IP_KEY_FILE` | `hash`: file holding the HMAC key (≥ 16 bytes), mandatory |
 * | `DNSA_CLIENT_IP_FULL_DAYS` | keep full addresses this many days, then rewrite; default 0 (apply at ingest) |
 * | `DNSA_EXCLUDE_CLIENTS` | addresses/CIDRs never stored |
 * | `DNSA_EXCLUDE_DOMAINS` | names and `*.suffix` never stored |
 * | `DNSA_DOMAIN_DETAIL` | `full` (default) or `apex` |
 * | `DNSA_HTTP_STATS_TOKEN` | HTTP token that sees aggregates only |
 *
 * @module
 */
import { z } from "zod";
import type { PrivacySettings } from "./policy.ts";
import { parseClientList, parseDomainList } from "./exclude.ts";

/** The privacy keys (all `DNSA_`). */
export const PRIVACY_KEYS = [
  "DNSA_CLIENT_IP",
  "DNSA_CLIENT_IP_PREFIX",
  "DNSA_CLIENT_IP_KEY_FILE",
  "DNSA_CLIENT_IP_FULL_DAYS",
  "DNSA_EXCLUDE_CLIENTS",
  "DNSA_EXCLUDE_DOMAINS",
  "DNSA_DOMAIN_DETAIL",
  "DNSA_HTTP_STATS_TOKEN",
] as const;

const listOk = (parse: (s: string) => unknown) => (s: string) => {
  try {
    parse(s);
    return true;
  } catch {
    return false;
  }
};

/** The zod fields of the privacy keys. */
export const PRIVACY_SCHEMA = {
  DNSA_CLIENT_IP: z.enum(["full", "truncate", "hash"]).default("full"),
  DNSA_CLIENT_IP_PREFIX: z.string().trim().regex(/^\d{1,2}\s*,\s*\d{1,3}$/, {
    error: "must be IPV4_BITS,IPV6_BITS, e.g. 24,56",
  }).refine((s) => {
    const [a, b] = s.split(",").map((x) => Number(x.trim()));
    return a >= 0 && a <= 32 && b >= 0 && b <= 128;
  }, { error: "IPv4 bits must be 0-32 and IPv6 bits 0-128, e.g. 24,56" }).default("24,56"),
  DNSA_CLIENT_IP_KEY_FILE: z.string().trim().min(1).optional(),
  DNSA_CLIENT_IP_FULL_DAYS: z.coerce.number().int().min(0).max(36500).default(0),
  DNSA_EXCLUDE_CLIENTS: z.string().refine(listOk(parseClientList), {
    error: "must be addresses or CIDRs, comma-separated, e.g. 192.0.2.10,198.51.100.0/24",
  }).optional(),
  DNSA_EXCLUDE_DOMAINS: z.string().refine(listOk(parseDomainList), {
    error: "must be names or *.suffix, comma-separated, e.g. health.example,*.probe.example",
  }).optional(),
  DNSA_DOMAIN_DETAIL: z.enum(["full", "apex"]).default("full"),
  DNSA_HTTP_STATS_TOKEN: z.string().trim().refine(
    (t) => new TextEncoder().encode(t).length >= 16,
    { error: "must be at least 16 bytes (a long random secret, e.g. from `openssl rand -hex 32`)" },
  ).optional(),
};

type Parsed = z.infer<z.ZodObject<typeof PRIVACY_SCHEMA>>;

/**
 * The settings of the parsed values; `null` and a message when they do not fit together
 * (the caller throws its ConfigError with it).
 */
export function privacySettingsOf(
  v: Parsed & { DNSA_HTTP_TOKEN?: string; DNSA_RETENTION_DAYS: number },
): { settings: PrivacySettings; statsToken: string | null } | { error: string } {
  if (v.DNSA_CLIENT_IP === "hash" && !v.DNSA_CLIENT_IP_KEY_FILE) {
    return {
      error: "DNSA_CLIENT_IP=hash needs DNSA_CLIENT_IP_KEY_FILE: a file with a secret of at " +
        "least 16 bytes (`openssl rand -hex 32 > /etc/dns-analytics/client-ip.key`), the " +
        "same file on every node whose pseudonyms must agree",
    };
  }
  if (v.DNSA_CLIENT_IP_FULL_DAYS > 0 && v.DNSA_CLIENT_IP === "full") {
    return {
      error: "DNSA_CLIENT_IP_FULL_DAYS needs DNSA_CLIENT_IP=truncate or hash: what the " +
        "addresses become after that many days",
    };
  }
  if (v.DNSA_CLIENT_IP_FULL_DAYS >= v.DNSA_RETENTION_DAYS) {
    return {
      error: `DNSA_CLIENT_IP_FULL_DAYS=${v.DNSA_CLIENT_IP_FULL_DAYS} must be less than ` +
        `DNSA_RETENTION_DAYS=${v.DNSA_RETENTION_DAYS}: a day is rewritten from its raw rows, ` +
        "which retention drops after DNSA_RETENTION_DAYS",
    };
  }
  if (v.DNSA_HTTP_STATS_TOKEN && !v.DNSA_HTTP_TOKEN) {
    return {
      error: "DNSA_HTTP_STATS_TOKEN needs DNSA_HTTP_TOKEN: without the full token every " +
        "request sees everything, so a statistics-only token would restrict nothing",
    };
  }
  if (v.DNSA_HTTP_STATS_TOKEN && v.DNSA_HTTP_STATS_TOKEN === v.DNSA_HTTP_TOKEN) {
    return { error: "DNSA_HTTP_STATS_TOKEN must differ from DNSA_HTTP_TOKEN" };
  }
  const [p4, p6] = v.DNSA_CLIENT_IP_PREFIX.split(",").map((x) => Number(x.trim()));
  return {
    settings: {
      clientIp: v.DNSA_CLIENT_IP,
      prefix: [p4, p6],
      keyFile: v.DNSA_CLIENT_IP_KEY_FILE ?? null,
      fullDays: v.DNSA_CLIENT_IP_FULL_DAYS,
      excludeClients: v.DNSA_EXCLUDE_CLIENTS,
      excludeDomains: v.DNSA_EXCLUDE_DOMAINS,
      domainDetail: v.DNSA_DOMAIN_DETAIL,
    },
    statsToken: v.DNSA_HTTP_STATS_TOKEN ?? null,
  };
}
