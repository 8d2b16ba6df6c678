import assert from "node:assert/strict";
import { formatExposition, MetricsRecorder, recorderFamilies } from "../../lib/metrics.ts";
import { parseExposition, sampleValue } from "../http/exposition.ts";

Deno.test("/metrics: excluded lines are a counter of their own (0 before any)", () => {
  const m = new MetricsRecorder({ source: "querylog", now: 0 });
  const read = () => parseExposition(formatExposition(recorderFamilies(m, { node: "dns1" })));
  assert.equal(sampleValue(read(), "dnsa_ingest_excluded_total", { node: "dns1" }), 0);
  Object.assign(m.ingest, { lines: 10, rows: 7, excluded: 3 });
  assert.equal(sampleValue(read(), "dnsa_ingest_excluded_total", { node: "dns1" }), 3);
  assert.equal(sampleValue(read(), "dnsa_ingest_rows_total", { node: "dns1" }), 7);
});
