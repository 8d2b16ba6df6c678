/**
 * serve's dnstap listener (DNSA_SOURCE=dnstap with a socket path in DNSA_DNSTAP): named
 * connects to the unix socket (`dnstap-output unix`) and its frames are committed as they
 * come (lib/dnstap/listener.ts).
 *
 * @module
 */
import type { JobContext } from "../context.ts";
import { listenDnstap, type ListenerStats } from "../dnstap/listener.ts";
import { type IngestService, ingestService } from "./service.ts";
import { type LiveSourceOptions, liveWriter } from "./tailer.ts";

/** Listen on the unix socket `options.path` until stopped. */
export function createDnstapListener(
  ctx: JobContext,
  options: LiveSourceOptions & { path: string },
): IngestService<ListenerStats> {
  return ingestService(
    "dnstap listener",
    (signal) =>
      listenDnstap(liveWriter(ctx, options, signal), {
        path: options.path,
        log: ctx.log,
        signal,
        onCommit: (s) => options.stats.recordDnstap(s, { mode: "socket" }),
      }),
  );
}
