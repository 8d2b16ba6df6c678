/**
 * Following the client name sources while `serve` runs: DNSA_CLIENT_NAMES (hosts format) and
 * DNSA_DHCP_LEASES (ISC dhcpd, dnsmasq, Kea; the format is recognised by content) are read
 * again whenever their size, modification time or inode changes (dhcpd and Kea rewrite their
 * files by rename, dnsmasq in place); DNSA_PTR_LOOKUP=on runs a bounded round of PTR lookups
 * per interval. A file that is missing or unreadable is reported once and tried again every
 * interval. Nothing here touches the ingest path: names are joined when rows are read.
 *
 * @example
 * ```ts
 * await followClientNames(ctx.sql, ctx.config, ctx.log, { signal });
 * ```
 * @module
 */
import type { Config } from "../config.ts";
import type { Sql } from "../db/connect.ts";
import { errorText } from "../error_text.ts";
import type { Logger } from "../log.ts";
import { sleep } from "../sleep.ts";
import { type NameMap, parseHostsFile, parseLeaseFile } from "./parse_names.ts";
import { PTR_DEFAULTS, runPtrRound } from "./ptr_lookup.ts";
import { storeNames } from "./store_names.ts";

/** Options of {@linkcode followClientNames}. */
export interface FollowNamesOptions {
  signal: AbortSignal;
  /** Between checks of the files and PTR rounds; default 10 s. */
  intervalMs?: number;
  now?: () => Date;
}

/** True when any client name source is configured. */
export function hasNameSources(config: Pick<Config, "clientNames">): boolean {
  const c = config.clientNames;
  return c.hostsFile !== null || c.leaseFiles.length > 0 || c.ptrLookup;
}

/** A file's identity and state: changes when it is rewritten or appended to. */
async function signatureOf(path: string): Promise<string> {
  const st = await Deno.stat(path);
  return `${st.ino}:${st.size}:${st.mtime?.getTime()}`;
}

/** One file source: re-read on change. */
interface FileSource {
  path: string;
  kind: "hosts" | "dhcp";
  signature: string | null;
  error: string | null;
}

/** Read one file source if it changed; returns the names stored, or null when unchanged. */
export async function refreshNameFile(
  sql: Sql,
  source: FileSource,
  now: Date,
): Promise<{ names: number; format: string } | null> {
  const signature = await signatureOf(source.path);
  if (signature === source.signature) return null;
  const text = await Deno.readTextFile(source.path);
  let names: NameMap;
  let format: string;
  if (source.kind === "hosts") {
    names = parseHostsFile(text);
    format = "hosts";
  } else {
    const parsed = parseLeaseFile(text);
    names = parsed.names;
    format = parsed.format ?? "unknown";
  }
  await sql.begin((tx) =>
    storeNames(tx, source.kind, names, { now, replace: source.kind === "hosts" })
  );
  source.signature = signature;
  return { names: names.size, format };
}

/** Follow the configured sources until `signal` aborts. */
export async function followClientNames(
  sql: Sql,
  config: Pick<Config, "clientNames" | "logTz">,
  log: Logger,
  options: FollowNamesOptions,
): Promise<void> {
  const c = config.clientNames;
  const now = options.now ?? (() => new Date());
  const files: FileSource[] = [
    ...(c.hostsFile ? [{ path: c.hostsFile, kind: "hosts" as const }] : []),
    ...c.leaseFiles.map((path) => ({ path, kind: "dhcp" as const })),
  ].map((f) => ({ ...f, signature: null, error: null }));
  const interval = options.intervalMs ?? 10_000;
  while (!options.signal.aborted) {
    for (const f of files) {
      try {
        const r = await refreshNameFile(sql, f, now());
        if (r) log.info("client names read", { file: f.path, source: f.kind, ...r });
        f.error = null;
      } catch (error) {
        const text = errorText(error);
        if (text !== f.error) {
          log.warn("client names: cannot read file", { file: f.path, error: text });
        }
        f.error = text;
        f.signature = null;
      }
    }
    if (c.ptrLookup) {
      try {
        const r = await runPtrRound(sql, {
          ...PTR_DEFAULTS,
          resolver: c.ptrResolver,
          tz: config.logTz,
          now,
          signal: options.signal,
        });
        if (r.asked > 0) log.info("client names: PTR lookups", { ...r });
      } catch (error) {
        if (!options.signal.aborted) {
          log.warn("client names: PTR round failed", { error: errorText(error) });
        }
      }
    }
    await sleep(interval, options.signal).catch(() => {});
  }
}
