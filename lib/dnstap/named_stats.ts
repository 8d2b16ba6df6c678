/**
 * named's own count of dnstap frames: the JSON statistics channel (`statistics-channels`)
 * reports `dnstapstats.DNSTAPsuccess` (frames queued for output) and `DNSTAPdropped` (frames
 * named dropped because its output queue was full, e.g. while this program was not reading).
 * The socket protocol itself carries no loss count, so this is how lost frames are reported.
 *
 * @module
 */

/** named's dnstap counters. */
export interface NamedDnstapCounters {
  success: number;
  dropped: number;
}

/** Read the counters from `baseUrl` (e.g. `http://127.0.0.1:8080`); throws on failure. */
export async function readNamedDnstapCounters(
  baseUrl: string,
  timeoutMs = 5000,
): Promise<NamedDnstapCounters> {
  const url = `${baseUrl.replace(/\/+$/, "")}/json/v1/server`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const body = await res.json() as { dnstapstats?: Record<string, number> };
  const s = body.dnstapstats ?? {};
  return { success: s.DNSTAPsuccess ?? 0, dropped: s.DNSTAPdropped ?? 0 };
}
