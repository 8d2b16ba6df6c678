import assert from "node:assert/strict";
import { formatExposition, MetricsRecorder, recorderFamilies } from "../../lib/metrics.ts";
import { parseExposition, sampleValue } from "../http/exposition.ts";
import { createLogger } from "../../lib/log.ts";
import { zeroCounts } from "../../lib/ingest/counts.ts";
import { IngestStatistics } from "../../lib/serve/ingest_stats.ts";

Deno.test("/metrics: excluded lines are a counter of their own (0 before any)", () => {
  const m = new MetricsRecorder({ source: "querylog", now: 0 });
  const read = () => parseExposition(formatExposition(recorderFamilies(m, { node: "dns1" })));
  assert.equal(sampleValue(read(), "dnsa_ingest_excluded_total", { node: "dns1" }), 0);
  Object.assign(m.ingest, { lines: 10, rows: 7, excluded: 3 });
  assert.equal(sampleValue(read(), "dnsa_ingest_excluded_total", { node: "dns1" }), 3);
  assert.equal(sampleValue(read(), "dnsa_ingest_rows_total", { node: "dns1" }), 7);
});

Deno.test("/metrics: serve's ingest statistics record excluded lines of logs and dnstap", () => {
  const m = new MetricsRecorder({ source: "querylog", now: 0 });
  const log = createLogger({ write: () => {} });
  const stats = new IngestStatistics({
    metrics: m,
    log,
    config: { source: "querylog", namedStats: null },
  });
  const read = () =>
    sampleValue(
      parseExposition(formatExposition(recorderFamilies(m, { node: "dns1" }))),
      "dnsa_ingest_excluded_total",
      { node: "dns1" },
    );
  stats.recordLogs({
    ...zeroCounts(),
    lines: 10,
    rows: 6,
    excluded: 4,
    pending: 0,
    passes: 1,
    batches: 1,
    retries: 0,
    lastCommitAt: null,
    behind: {},
  });
  assert.equal(read(), 4);
  stats.recordDnstap({
    frames: 20,
    rows: 9,
    rejected: 0,
    skipped: 0,
    excluded: 2,
    batches: 1,
    lastCommitAt: null,
  });
  assert.equal(read(), 2);
});
