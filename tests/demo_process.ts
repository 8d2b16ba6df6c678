/**
 * Test support: `dns-analytics demo` as a child process, its dashboard URL read from its
 * output, stopped with SIGTERM as Ctrl-C stops it; and polling its API until a condition holds.
 *
 * @module
 */
import { cleanEnv } from "./integration/pg.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A running demo. */
export interface DemoProcess {
  /** The dashboard's base URL (`http://127.0.0.1:PORT/`). */
  url: string;
  /** When the dashboard started listening (performance.now()). */
  listeningAt: number;
  /** SIGTERM, then its exit code and everything it wrote. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Start `demo` with `args`; resolves once its dashboard listens (or throws after 120 s). */
export async function startDemo(args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "demo", ...args],
    env: { ...cleanEnv(), NO_COLOR: "1", DNSA_HTTP: "127.0.0.1:0", DNSA_LOG_TZ: "UTC", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  let url: string | null = null;
  while (url === null) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
    url = /^dashboard: (http:\/\/\S+)/m.exec(stdout)?.[1] ?? null;
  }
  clearTimeout(timer);
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stdout += value;
    }
  })();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* exited */ }
    const status = await child.status;
    await rest;
    return { code: status.code, stdout, stderr: await stderr };
  };
  if (url === null) {
    const r = await stop();
    throw new Error(`demo did not print its dashboard URL:\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  }
  return { url, listeningAt: performance.now(), stop } satisfies DemoProcess;
}

/**
 * GET `path` of the demo's API every 500 ms until `check` returns a value other than null or
 * `ms` pass; returns that value, or null.
 */
export async function pollApi<T>(
  base: string,
  path: string,
  check: (body: Record<string, unknown>) => T | null,
  ms: number,
): Promise<T | null> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    try {
      const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(5000) });
      if (res.ok) {
        const v = check(await res.json());
        if (v !== null) return v;
      } else await res.body?.cancel();
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  return null;
}

type Rows = { rows?: Record<string, unknown>[] };

/** NXDOMAIN answers in the demo's API: named's counters (server-rcodes) or the statistics. */
export function nxdomainOf(source: "counters" | "statistics") {
  return (body: Rows): number | null => {
    const row = body.rows?.find((r) => r.rcode === "NXDOMAIN");
    const n = Number(source === "counters" ? row?.responses : row?.hit_count);
    return n > 0 ? n : null;
  };
}
