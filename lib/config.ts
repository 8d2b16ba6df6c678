/**
 * Configuration: one strict zod schema over the environment and an optional env-style file
 * (`--config FILE`, the same `KEY=VALUE` lines as the seed's `/etc/dns-ingestor/db.env`).
 *
 * Precedence: a key in the `--config` file overrides the same key in the environment (it was
 * named explicitly on the command line); `DATABASE_URL` wins over the `DB_*` keys wherever
 * each comes from. Unknown `DNSA_` keys are errors, so a typo never passes silently.
 *
 * @example
 * ```ts
 * const config = loadConfig({ env: Deno.env.toObject() });
 * console.log(config.node, describeDatabase(config.database));
 * ```
 * @module
 */
import { z } from "zod";
import { hostname } from "node:os";
import { redactPostgresUrl } from "./db/url.ts";
import { ConfigError } from "./config_error.ts";
import {
  checkPostgresUrl,
  dbHostPart,
  isLoopbackHost,
  isTimeZone,
  NODE_NAME,
  parseDnstapTarget,
  parseEnvFile,
  parseListen,
  parsePeers,
  parseResolver,
} from "./config_values.ts";

export { ConfigError } from "./config_error.ts";
export { isLoopbackHost, parseDnstapTarget, parseEnvFile } from "./config_values.ts";
import { PRIVACY_KEYS, PRIVACY_SCHEMA, privacySettingsOf } from "./privacy/config.ts";
import type { PrivacySettings } from "./privacy/policy.ts";
import { BUS_KEYS, BUS_SCHEMA, type BusConfig, busConfigOf } from "./bus/config.ts";

/** Where the rows go: a PostgreSQL server, or the embedded database in a directory. */
export type DatabaseTarget =
  | { kind: "postgres"; url: string }
  | { kind: "embedded"; dataDir: string };

/** The frozen, validated configuration every command receives. */
export interface Config {
  database: DatabaseTarget;
  dataDir: string;
  node: string;
  source: "querylog" | "dnstap";
  queryLog: string;
  errorLog: string;
  /** The dnstap path (without its `unix:` prefix). */
  dnstap: string | null;
  /**
   * What DNSA_DNSTAP names: `unix:/path` a unix socket to listen on (named's
   * `dnstap-output unix`), anything else a file to follow (`dnstap-output file`).
   */
  dnstapKind: "socket" | "file" | null;
  /** named's statistics channel, read for its count of dropped dnstap frames. */
  /** named's statistics channel: server counters (rcodes, RRL, cache), dnstap drops. */
  namedStats: string | null;
  /** This node's registry entry (dns_nodes node_ip, location, network); null = not set. */
  nodeMeta: { ip: string | null; location: string | null; network: string | null };
  logTz: string;
  pollMs: number;
  http: { host: string; port: number };
  httpToken: string | null;
  /** PostgreSQL URL the HTTP server reads with (a read-only role); null = DATABASE_URL. */
  httpDatabaseUrl: string | null;
  peers: ReadonlyArray<{ name: string; url: string }>;
  /** A read replica that `report` reads from instead of `database` (never migrated). */
  readDatabaseUrl: string | null;
  retentionDays: number;
  statsRetentionDays: number;
  /** Cron expressions (UTC) of the scheduled jobs. */
  schedules: { rollup: string; retention: string; federate: string };
  /** What is stored of clients and names (lib/privacy/). */
  privacy: PrivacySettings;
  /** HTTP token that sees aggregates only (DNSA_HTTP_STATS_TOKEN). */
  httpStatsToken: string | null;
  /** Client name sources (lib/names): hosts file, DHCP lease files, PTR lookups. */
  clientNames: {
    hostsFile: string | null;
    leaseFiles: readonly string[];
    ptrLookup: boolean;
    ptrResolver: { ipAddr: string; port: number };
  };
  /** NATS JetStream (DNSA_BUS…): edges publish to it, `consume` stores from it; null = none. */
  bus: BusConfig | null;
}

const KNOWN_DNSA_KEYS = [
  "DNSA_DATA_DIR",
  "DNSA_NODE",
  "DNSA_SOURCE",
  "DNSA_QUERY_LOG",
  "DNSA_ERROR_LOG",
  "DNSA_DNSTAP",
  "DNSA_LOG_TZ",
  "DNSA_POLL_MS",
  "DNSA_HTTP",
  "DNSA_HTTP_TOKEN",
  "DNSA_HTTP_DATABASE_URL",
  "DNSA_PEERS",
  "DNSA_RETENTION_DAYS",
  "DNSA_STATS_RETENTION_DAYS",
  "DNSA_NAMED_STATS",
  "DNSA_ROLLUP_SCHEDULE",
  "DNSA_RETENTION_SCHEDULE",
  "DNSA_FEDERATE_SCHEDULE",
  "DNSA_READ_DATABASE_URL",
  "DNSA_CLIENT_NAMES",
  "DNSA_DHCP_LEASES",
  "DNSA_PTR_LOOKUP",
  "DNSA_PTR_RESOLVER",
  "DNSA_NODE_IP",
  "DNSA_NODE_LOCATION",
  "DNSA_NODE_NETWORK",
  ...PRIVACY_KEYS,
  ...BUS_KEYS,
] as const;

const optionalText = z.string().trim().min(1).optional();

/** Five cron fields of digits, `*`, `/`, `,` and `-` (minute hour day month weekday). */
const CRON = z.string().trim().regex(/^[0-9*/,-]+( +[0-9*/,-]+){4}$/, {
  error: "must be a cron expression of five fields in UTC, e.g. '*/5 * * * *'",
});

const schema = z.strictObject({
  DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, {
    error: "must be a postgres:// or postgresql:// URL",
  }).optional(),
  DB_HOST: optionalText,
  DB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DB_NAME: optionalText,
  DB_USER: optionalText,
  DB_PASSWORD: z.string().optional(),
  DNSA_DATA_DIR: z.string().trim().min(1).default("./data"),
  DNSA_NODE: z.string().trim().regex(NODE_NAME, {
    error: "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
  }).optional(),
  DNSA_SOURCE: z.enum(["querylog", "dnstap"]).default("querylog"),
  DNSA_QUERY_LOG: z.string().trim().min(1).default("/var/log/named/queries.log"),
  DNSA_ERROR_LOG: z.string().trim().min(1).default("/var/log/named/query-errors.log"),
  DNSA_DNSTAP: optionalText,
  DNSA_NAMED_STATS: z.string().trim().regex(/^https?:\/\/[^\s]+$/, {
    error: "must be the URL of named's statistics channel, e.g. http://127.0.0.1:8080",
  }).optional(),
  DNSA_LOG_TZ: z.string().trim().refine(isTimeZone, {
    error: "must be an IANA time zone such as UTC or Africa/Kampala",
  }).optional(),
  DNSA_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  DNSA_HTTP: z.string().trim().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, {
    error: "must be HOST:PORT, e.g. 127.0.0.1:8053 or [::1]:8053",
  }).default("127.0.0.1:8053"),
  DNSA_HTTP_TOKEN: z.string().trim().refine((t) => new TextEncoder().encode(t).length >= 16, {
    error: "must be at least 16 bytes (a long random secret, e.g. from `openssl rand -hex 32`)",
  }).optional(),
  DNSA_HTTP_DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, {
    error: "must be a postgres:// or postgresql:// URL (e.g. of the read-only role dns_reader)",
  }).optional(),
  DNSA_PEERS: z.string().trim().optional(),
  DNSA_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(30),
  DNSA_STATS_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(400),
  DNSA_ROLLUP_SCHEDULE: CRON.default("*/5 * * * *"),
  DNSA_RETENTION_SCHEDULE: CRON.default("17 3 * * *"),
  DNSA_FEDERATE_SCHEDULE: CRON.default("*/5 * * * *"),
  DNSA_READ_DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, {
    error: "must be a postgres:// or postgresql:// URL of a read replica",
  }).optional(),
  DNSA_CLIENT_NAMES: optionalText,
  DNSA_DHCP_LEASES: optionalText,
  DNSA_PTR_LOOKUP: z.stringbool({
    truthy: ["on", "true", "yes", "1"],
    falsy: ["off", "false", "no", "0"],
  })
    .default(false),
  DNSA_PTR_RESOLVER: z.string().trim().regex(
    /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/,
    {
      error:
        "must be the resolver's address, with an optional port: 127.0.0.1, 127.0.0.1:53 or [::1]:53",
    },
  ).default("127.0.0.1:53"),
  DNSA_NODE_IP: z.union([z.ipv4(), z.ipv6()], {
    error: "must be this server's IPv4 or IPv6 address, e.g. 192.168.238.128",
  }).optional(),
  DNSA_NODE_LOCATION: z.string().trim().min(1).max(200).optional(),
  DNSA_NODE_NETWORK: z.union([z.cidrv4(), z.cidrv6()], {
    error: "must be a network in CIDR notation, e.g. 192.168.238.0/24",
  }).optional(),
  ...PRIVACY_SCHEMA,
  ...BUS_SCHEMA,
});

function pickRelevant(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k.startsWith("DNSA_") || k === "DATABASE_URL" || k.startsWith("DB_")) {
      // An empty value means "unset", as systemd and shells treat it.
      if (v.trim() !== "" || k === "DB_PASSWORD") out[k] = v;
    }
  }
  return out;
}

function buildPostgresUrl(v: z.infer<typeof schema>): string | null {
  if (v.DATABASE_URL) return checkPostgresUrl("DATABASE_URL", v.DATABASE_URL);
  if (!v.DB_NAME && !v.DB_HOST && !v.DB_USER) return null;
  const missing = ["DB_NAME", "DB_USER"].filter((k) => !v[k as "DB_NAME" | "DB_USER"]);
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(" and ")} must be set when DB_HOST/DB_NAME/DB_USER are used ` +
        "(or set DATABASE_URL=postgres://user:password@host:port/dbname)",
    );
  }
  const user = encodeURIComponent(v.DB_USER!);
  const password = v.DB_PASSWORD ? `:${encodeURIComponent(v.DB_PASSWORD)}` : "";
  const host = v.DB_HOST ?? "127.0.0.1";
  const hostPart = dbHostPart(host);
  const db = encodeURIComponent(v.DB_NAME!);
  // A socket directory (the seed's DB_HOST=/var/run/postgresql) in libpq's form.
  const url = hostPart === null
    ? `postgres://${user}${password}@localhost:${v.DB_PORT ?? 5432}/${db}?host=${
      encodeURIComponent(host)
    }`
    : `postgres://${user}${password}@${hostPart}:${v.DB_PORT ?? 5432}/${db}`;
  return checkPostgresUrl("DB_HOST, DB_PORT, DB_NAME, DB_USER and DB_PASSWORD", url);
}

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** The process environment (`Deno.env.toObject()`). */
  env: Record<string, string | undefined>;
  /** Contents of the `--config` file, if one was given. */
  fileText?: string;
  /** Name of the `--config` file, for messages. */
  fileName?: string;
}

/** Validate the environment (and file) into a frozen {@linkcode Config}; throws ConfigError. */
export function loadConfig(options: LoadConfigOptions): Readonly<Config> {
  const merged = {
    ...pickRelevant(options.env),
    ...(options.fileText === undefined ? {} : pickRelevant(parseEnvFile(options.fileText))),
  };
  const unknown = Object.keys(merged).filter((k) =>
    k.startsWith("DNSA_") && !(KNOWN_DNSA_KEYS as readonly string[]).includes(k)
  );
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown configuration key ${unknown.join(", ")}` +
        (options.fileName ? ` (in the environment or ${options.fileName})` : "") +
        `; known DNSA_ keys: ${KNOWN_DNSA_KEYS.join(", ")}`,
    );
  }
  // Other DB_* variables (e.g. DB_SSLMODE from an unrelated tool) are not ours: ignore them.
  const ours = Object.fromEntries(
    Object.entries(merged).filter(([k]) =>
      !k.startsWith("DB_") || ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"]
        .includes(k)
    ),
  );
  const result = schema.safeParse(ours);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const v = result.data;
  const http = parseListen(v.DNSA_HTTP);
  if (!isLoopbackHost(http.host) && !v.DNSA_HTTP_TOKEN) {
    throw new ConfigError(
      `DNSA_HTTP=${v.DNSA_HTTP} listens beyond this machine, so DNSA_HTTP_TOKEN must be set ` +
        "(a long random secret, e.g. from `openssl rand -hex 32`); or listen on loopback " +
        "(DNSA_HTTP=127.0.0.1:8053)",
    );
  }
  const url = buildPostgresUrl(v);
  if (v.DNSA_HTTP_DATABASE_URL && !url) {
    throw new ConfigError(
      "DNSA_HTTP_DATABASE_URL needs PostgreSQL (DATABASE_URL or DB_*): the embedded database " +
        "has one connection, which the HTTP server shares",
    );
  }
  const privacy = privacySettingsOf(v);
  if ("error" in privacy) throw new ConfigError(privacy.error);
  const config: Config = {
    database: url ? { kind: "postgres", url } : { kind: "embedded", dataDir: v.DNSA_DATA_DIR },
    dataDir: v.DNSA_DATA_DIR,
    node: v.DNSA_NODE ?? defaultNodeName(),
    source: v.DNSA_SOURCE,
    queryLog: v.DNSA_QUERY_LOG,
    errorLog: v.DNSA_ERROR_LOG,
    ...parseDnstapTarget(v.DNSA_DNSTAP),
    namedStats: v.DNSA_NAMED_STATS ?? null,
    nodeMeta: Object.freeze({
      ip: v.DNSA_NODE_IP ?? null,
      location: v.DNSA_NODE_LOCATION ?? null,
      network: v.DNSA_NODE_NETWORK ?? null,
    }),
    logTz: v.DNSA_LOG_TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC",
    pollMs: v.DNSA_POLL_MS,
    http,
    httpToken: v.DNSA_HTTP_TOKEN ?? null,
    httpDatabaseUrl: v.DNSA_HTTP_DATABASE_URL
      ? checkPostgresUrl("DNSA_HTTP_DATABASE_URL", v.DNSA_HTTP_DATABASE_URL)
      : null,
    peers: Object.freeze(parsePeers(v.DNSA_PEERS)),
    readDatabaseUrl: v.DNSA_READ_DATABASE_URL
      ? checkPostgresUrl("DNSA_READ_DATABASE_URL", v.DNSA_READ_DATABASE_URL)
      : null,
    retentionDays: v.DNSA_RETENTION_DAYS,
    statsRetentionDays: v.DNSA_STATS_RETENTION_DAYS,
    schedules: {
      rollup: v.DNSA_ROLLUP_SCHEDULE,
      retention: v.DNSA_RETENTION_SCHEDULE,
      federate: v.DNSA_FEDERATE_SCHEDULE,
    },
    privacy: Object.freeze(privacy.settings),
    httpStatsToken: privacy.statsToken,
    clientNames: Object.freeze({
      hostsFile: v.DNSA_CLIENT_NAMES ?? null,
      leaseFiles: Object.freeze(
        (v.DNSA_DHCP_LEASES ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      ),
      ptrLookup: v.DNSA_PTR_LOOKUP,
      ptrResolver: parseResolver(v.DNSA_PTR_RESOLVER),
    }),
    bus: busConfigOf(v),
  };
  return Object.freeze(config);
}

/** The short host name, sanitised into a valid node name. */
export function defaultNodeName(): string {
  const short = hostname().split(".")[0].replace(/[^A-Za-z0-9._-]/g, "-");
  return NODE_NAME.test(short) ? short : "node";
}

/** A connection target for messages: user, host, port and database, never the password. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === "embedded") return `embedded database in ${target.dataDir}`;
  return redactUrl(target.url);
}

/** A postgres URL with its password replaced by `***` (see lib/db/url.ts). */
export function redactUrl(url: string): string {
  return redactPostgresUrl(url);
}
