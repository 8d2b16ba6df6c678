import assert from "node:assert/strict";
import { createLogger } from "../../lib/log.ts";
import { MetricsRecorder } from "../../lib/metrics.ts";
import { IngestStatistics } from "../../lib/serve/ingest_stats.ts";

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ write: (line) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

Deno.test("ingest statistics: a log pass lands in the metrics as cumulative counters", () => {
  const metrics = new MetricsRecorder({ source: "querylog" });
  const { log } = logCapture();
  const stats = new IngestStatistics({
    metrics,
    log,
    config: { source: "querylog", namedStats: null },
  });
  const pass = {
    lines: 10,
    rows: 8,
    errorLines: 1,
    skipped: 0,
    rejected: 1,
    reasons: { "bad time": 1 },
    pending: 0,
    passes: 1,
    batches: 2,
    retries: 0,
    lastCommitAt: 1_700_000_000_000,
    behind: { "/var/log/named/queries.log": 40 },
  };
  stats.recordLogs(pass);
  pass.reasons["bad time"] = 5; // the follower's own object changes later; the metrics do not
  stats.recordLogs({ ...pass, lines: 12, rows: 10, reasons: { "bad time": 1 } });
  const i = metrics.ingest;
  assert.equal(i.lines, 12);
  assert.equal(i.rows, 10);
  assert.equal(i.errorLines, 1);
  assert.deepEqual(i.reasons, { "bad time": 1 });
  assert.equal(i.batches, 2);
  assert.equal(metrics.behindBytes(), 40);
  assert.equal(i.lastCommitAt, 1_700_000_000_000);
});

Deno.test("ingest statistics: dnstap counters, retries and commit times", () => {
  const metrics = new MetricsRecorder({ source: "dnstap" });
  const { log, lines } = logCapture();
  const stats = new IngestStatistics({
    metrics,
    log,
    config: { source: "dnstap", namedStats: null },
  });
  stats.recordDnstap({
    frames: 7,
    rows: 3,
    rejected: 0,
    skipped: 1,
    batches: 1,
    lastCommitAt: null,
  });
  assert.equal(metrics.ingest.lines, 7);
  assert.equal(metrics.ingest.rows, 3);
  assert.equal(metrics.ingest.skipped, 1);
  stats.onRetry({ attempt: 1, delayMs: 500.4, error: new Error("connection refused") });
  assert.equal(metrics.databaseErrors, 1);
  assert.equal(lines[0].msg, "database unavailable, retrying batch");
  assert.equal(lines[0].delay_ms, 500);
  stats.onCommit({ seconds: 0.02 });
  assert.equal(metrics.commitCount, 1);
});
