import assert from "node:assert/strict";
import { UsageError } from "../lib/cli.ts";
import { ConfigError, loadConfig } from "../lib/config.ts";
import { CheckpointConflictError } from "../lib/ingest/commit.ts";
import { backoffMs } from "../lib/backoff.ts";
import { classifyFault } from "../lib/fault.ts";
import { createLogger } from "../lib/log.ts";
import { formatExposition, MetricsRecorder, recorderFamilies } from "../lib/metrics.ts";

const pgError = (code: string) => Object.assign(new Error(`error ${code}`), { code });

Deno.test("fault policy: only configuration and usage errors end the program", () => {
  const table: [unknown, "fatal" | "pause", string, boolean][] = [
    [new ConfigError("DNSA_NODE: bad"), "fatal", "configuration", false],
    [new UsageError("unknown option"), "fatal", "configuration", false],
    [pgError("53100"), "pause", "disk_full", false],
    [pgError("53200"), "pause", "out_of_memory", false],
    [pgError("57014"), "pause", "statement_timeout", false],
    [pgError("25006"), "pause", "read_only", false],
    [pgError("42P01"), "pause", "relation_missing", false],
    [pgError("23514"), "pause", "partition_missing", false],
    [pgError("57P01"), "pause", "server_restarting", true],
    [pgError("08006"), "pause", "connection_lost", true],
    [pgError("ECONNREFUSED"), "pause", "connection_lost", true],
    [pgError("CONNECTION_CLOSED"), "pause", "connection_lost", true],
    [pgError("22P02"), "pause", "database_error", false],
    [pgError("53400"), "pause", "insufficient_resources", false],
    [new CheckpointConflictError("moved"), "pause", "checkpoint_conflict", false],
    [new Deno.errors.PermissionDenied("no"), "pause", "permission_denied", false],
    [new TypeError("x is undefined"), "pause", "unexpected_error", false],
  ];
  for (const [error, kind, reason, transient] of table) {
    const f = classifyFault(error);
    assert.deepEqual([f.kind, f.reason, f.transient], [kind, reason, transient], String(error));
  }
  assert.equal(classifyFault(pgError("53100")).code, "53100");
});

Deno.test("fault policy: backoff doubles to its bound, with jitter inside ±25 %", () => {
  const mid = () => 0.5;
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffMs(n, { random: mid })),
    [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  for (let i = 0; i < 200; i++) {
    const v = backoffMs(3);
    assert.ok(v >= 750 && v <= 1250, String(v));
  }
  assert.equal(backoffMs(1, { baseMs: 500, random: () => 0 }), 375);
});

Deno.test("fault board: one log line per change of state, and the state in /metrics", () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ write: (l) => lines.push(JSON.parse(l)) });
  const metrics = new MetricsRecorder({ source: "querylog", now: 0 });
  const faults = metrics.faults.reporter("querylog", log);
  const text = () => formatExposition(recorderFamilies(metrics, { node: "dns1" }));
  assert.match(text(), /^dnsa_source_paused\{node="dns1",source="querylog"\} 0$/m);
  assert.doesNotMatch(text(), /^dnsa_source_pause_reason\{/m);

  for (let i = 0; i < 5; i++) faults.pause(classifyFault(pgError("53100")), 500);
  assert.equal(lines.length, 1, "a repeated fault is logged once");
  assert.equal(lines[0].msg, "database fault, reading paused");
  assert.equal(lines[0].reason, "disk_full");
  assert.match(String(lines[0].hint), /disk is full/);
  assert.match(text(), /^dnsa_source_paused\{node="dns1",source="querylog"\} 1$/m);
  assert.match(
    text(),
    /^dnsa_source_pause_reason\{node="dns1",source="querylog",reason="disk_full"\} 1$/m,
  );

  faults.pause(classifyFault(pgError("25006")), 500);
  assert.equal(lines.length, 2, "a new reason is a change of state");
  assert.equal(lines[1].reason, "read_only");

  faults.resume();
  faults.resume();
  assert.equal(lines.length, 3, "resumed once");
  assert.equal(lines[2].msg, "reading resumed");
  assert.equal(lines[2].after_reason, "read_only");
  assert.match(text(), /^dnsa_source_paused\{node="dns1",source="querylog"\} 0$/m);
  assert.match(text(), /^dnsa_source_pauses_total\{node="dns1",source="querylog"\} 1$/m);

  faults.pause(classifyFault(pgError("ECONNREFUSED")), 500);
  assert.equal(lines[3].msg, "database unavailable, reading paused");
  assert.match(text(), /^dnsa_source_pauses_total\{node="dns1",source="querylog"\} 2$/m);
  assert.equal(metrics.faults.states().get("querylog")?.failures, 7);
});

Deno.test("dnstap loss in /metrics: protocol errors always, named's counters once read", () => {
  const metrics = new MetricsRecorder({ source: "dnstap", now: 0 });
  let text = formatExposition(recorderFamilies(metrics, { node: "dns1" }));
  assert.match(text, /^dnsa_dnstap_protocol_errors_total\{node="dns1"\} 0$/m);
  assert.match(text, /^# TYPE dnsa_named_dnstap_dropped_total counter$/m);
  assert.doesNotMatch(text, /^dnsa_named_dnstap_dropped_total\{/m);
  metrics.dnstap.protocolErrors = 3;
  metrics.dnstap.namedDropped = 17;
  metrics.dnstap.namedSent = 1000;
  text = formatExposition(recorderFamilies(metrics, { node: "dns1" }));
  assert.match(text, /^dnsa_dnstap_protocol_errors_total\{node="dns1"\} 3$/m);
  assert.match(text, /^dnsa_named_dnstap_dropped_total\{node="dns1"\} 17$/m);
  assert.match(text, /^dnsa_named_dnstap_sent_total\{node="dns1"\} 1000$/m);
});

Deno.test("DNSA_DNSTAP: unix: names a socket, anything else a file; nothing is guessed", () => {
  const load = (v: string) => loadConfig({ env: { DNSA_SOURCE: "dnstap", DNSA_DNSTAP: v } });
  const socket = load("unix:/run/dns-analytics/dnstap.sock");
  assert.deepEqual([socket.dnstap, socket.dnstapKind], [
    "/run/dns-analytics/dnstap.sock",
    "socket",
  ]);
  // A name without a known extension that does not exist is a file now, not a socket.
  const plain = load("/run/dns-analytics/dnstap.sock");
  assert.deepEqual([plain.dnstap, plain.dnstapKind], ["/run/dns-analytics/dnstap.sock", "file"]);
  const file = load("file:/var/log/named/dnstap.fstrm");
  assert.deepEqual([file.dnstap, file.dnstapKind], ["/var/log/named/dnstap.fstrm", "file"]);
  assert.throws(() => load("unix:"), ConfigError);
  const none = loadConfig({ env: {} });
  assert.deepEqual([none.dnstap, none.dnstapKind], [null, null]);
});
