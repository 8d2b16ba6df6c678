/**
 * The bus keys of the configuration, kept beside their code: lib/config.ts spreads
 * {@linkcode BUS_KEYS} into its known keys and {@linkcode BUS_SCHEMA} into its zod schema, and
 * turns the parsed values into a {@linkcode BusConfig} with {@linkcode busConfigOf}.
 *
 * | key | meaning, default |
 * | --- | --- |
 * | `DNSA_BUS` | `nats://host:4222` (comma-separated for a cluster, `tls://` for TLS); unset = no bus |
 * | `DNSA_BUS_STREAM` | JetStream stream name, default `dns-analytics` |
 * | `DNSA_BUS_CREDS` | NATS credentials file (`.creds`) |
 * | `DNSA_BUS_TLS_CA` | CA file that signs the NATS servers' certificates |
 *
 * @module
 */
import { z } from "zod";
import { ConfigError } from "../config_error.ts";
import type { Config } from "../config.ts";

/** The message bus (lib/bus/): server URLs, stream, credentials file, CA file. */
export interface BusConfig {
  /** `nats://host:4222`, comma-separated for a cluster. */
  url: string;
  stream: string;
  creds: string | null;
  tlsCa: string | null;
}

/** The bus keys (all `DNSA_`). */
export const BUS_KEYS = [
  "DNSA_BUS",
  "DNSA_BUS_STREAM",
  "DNSA_BUS_CREDS",
  "DNSA_BUS_TLS_CA",
] as const;

const optionalText = z.string().trim().min(1).optional();

/** The zod fields of the bus keys. */
export const BUS_SCHEMA = {
  DNSA_BUS: z.string().trim().regex(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, {
    error: "must be nats://host:4222 (comma-separated for a cluster; tls:// for TLS)",
  }).optional(),
  DNSA_BUS_STREAM: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, {
    error: "must be a JetStream stream name: letters, digits, '_' or '-'",
  }).default("dns-analytics"),
  DNSA_BUS_CREDS: optionalText,
  DNSA_BUS_TLS_CA: optionalText,
};

/** The parsed bus values as a {@linkcode BusConfig}, or null without `DNSA_BUS`. */
export function busConfigOf(v: {
  DNSA_BUS?: string;
  DNSA_BUS_STREAM: string;
  DNSA_BUS_CREDS?: string;
  DNSA_BUS_TLS_CA?: string;
}): BusConfig | null {
  if (!v.DNSA_BUS) {
    if (v.DNSA_BUS_CREDS || v.DNSA_BUS_TLS_CA) {
      throw new ConfigError("DNSA_BUS_CREDS and DNSA_BUS_TLS_CA need DNSA_BUS (nats://host:4222)");
    }
    return null;
  }
  return {
    url: v.DNSA_BUS,
    stream: v.DNSA_BUS_STREAM,
    creds: v.DNSA_BUS_CREDS ?? null,
    tlsCa: v.DNSA_BUS_TLS_CA ?? null,
  };
}

/** True when `serve` and `ingest` run as an edge: DNSA_BUS set and no PostgreSQL configured. */
export function isEdgeMode(config: Readonly<Config>): boolean {
  return config.bus !== null && config.database.kind !== "postgres";
}
