/**
 * doctor's view of a running `serve`: whether reading is paused by a fault (lib/fault.ts),
 * and why, as serve's own `/metrics` on DNSA_HTTP says (`dnsa_source_paused`,
 * `dnsa_source_pause_reason`). serve holds that state in memory; nothing else knows it.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { Finding } from "./finding.ts";
import { hintOf } from "../fault.ts";

/** The paused sources in a `/metrics` body, with their reasons. */
export function pausedSources(metrics: string): { source: string; reason: string }[] {
  const out: { source: string; reason: string }[] = [];
  for (const line of metrics.split("\n")) {
    if (!line.startsWith("dnsa_source_pause_reason{") || !line.endsWith(" 1")) continue;
    const source = /source="([^"]*)"/.exec(line)?.[1] ?? "?";
    const reason = /reason="([^"]*)"/.exec(line)?.[1] ?? "unknown";
    out.push({ source, reason });
  }
  return out;
}

/**
 * Ask serve on DNSA_HTTP (loopback for a wildcard address) whether a source is paused.
 * Not answering is no failure: serve may simply not run (yet).
 */
export async function checkServePaused(
  config: Pick<Readonly<Config>, "http" | "httpToken">,
  options: { timeoutMs?: number } = {},
): Promise<Finding> {
  const check = "serve";
  const wildcard = ["0.0.0.0", "::", "[::]"].includes(config.http.host);
  const host = wildcard ? "127.0.0.1" : config.http.host;
  const url = `http://${host}:${config.http.port}/metrics`;
  let body: string;
  try {
    const res = await fetch(url, {
      headers: config.httpToken ? { authorization: `Bearer ${config.httpToken}` } : {},
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
    body = await res.text();
    if (res.status !== 200) {
      return { level: "warn", check, message: `${url} answered HTTP ${res.status}` };
    }
  } catch {
    return { level: "ok", check, message: `not answering on ${url} (not running here?)` };
  }
  const paused = pausedSources(body);
  if (paused.length === 0) {
    return { level: "ok", check, message: `running (${url}); reading is not paused` };
  }
  return {
    level: "FAIL",
    check,
    message: paused.map((p) => `reading ${p.source} is paused: ${p.reason} (${hintOf(p.reason)})`)
      .join("; "),
  };
}
