import assert from "node:assert/strict";
import { dnstapKindMismatch } from "../../lib/doctor/named_conf.ts";
import { checkServePaused, pausedSources } from "../../lib/doctor/serve_paused.ts";
import { classifyFault } from "../../lib/fault.ts";
import { createLogger } from "../../lib/log.ts";
import { formatExposition, MetricsRecorder, recorderFamilies } from "../../lib/metrics.ts";

Deno.test("doctor: a paused serve is a FAIL naming the source, the reason and what to do", async () => {
  const metrics = new MetricsRecorder({ source: "dnstap" });
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    () => new Response(formatExposition(recorderFamilies(metrics, { node: "dns1" }))),
  );
  const config = { http: { host: "127.0.0.1", port: server.addr.port }, httpToken: null };
  try {
    const reading = await checkServePaused(config);
    assert.equal(reading.level, "ok");
    assert.match(reading.message, /not paused/);
    const quiet = createLogger({ write: () => {} });
    metrics.faults.pause(
      "dnstap",
      classifyFault(Object.assign(new Error("read-only"), { code: "25006" })),
      { log: quiet, retryInMs: 1000 },
    );
    const paused = await checkServePaused(config);
    assert.equal(paused.level, "FAIL");
    assert.match(paused.message, /reading dnstap is paused: read_only \(.*primary/);
  } finally {
    ac.abort();
    await server.finished;
  }
  // Nothing listening: serve is not running here, which is no failure.
  const none = await checkServePaused(config);
  assert.equal(none.level, "ok");
  assert.match(none.message, /not answering/);
});

Deno.test("doctor: paused sources are read from the exposition", () => {
  const text = 'dnsa_source_pause_reason{node="a",source="querylog",reason="disk_full"} 1\n' +
    'dnsa_source_paused{node="a",source="querylog"} 1\n';
  assert.deepEqual(pausedSources(text), [{ source: "querylog", reason: "disk_full" }]);
});

Deno.test("doctor: named's dnstap-output kind must match DNSA_DNSTAP's (unix: = socket)", () => {
  const path = "/run/dns-analytics/dnstap.sock";
  assert.equal(dnstapKindMismatch("unix", { dnstap: path, dnstapKind: "socket" }), null);
  assert.equal(dnstapKindMismatch("file", { dnstap: path, dnstapKind: "file" }), null);
  assert.match(
    dnstapKindMismatch("unix", { dnstap: path, dnstapKind: "file" })!,
    /set DNSA_DNSTAP=unix:\/run\/dns-analytics\/dnstap\.sock/,
  );
  assert.match(
    dnstapKindMismatch("file", { dnstap: path, dnstapKind: "socket" })!,
    /listens on a socket: set DNSA_DNSTAP=\/run/,
  );
  // Without a kind (a caller that does not know it) only the path is compared.
  assert.equal(dnstapKindMismatch("unix", { dnstap: path }), null);
});
