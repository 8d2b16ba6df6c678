/**
 * lib/ingest/warm_up.ts: the warm-up's lines are BIND's query lines, every one taken by the
 * fast path (a line it left to the general parser would warm nothing of the fast path).
 */
import assert from "node:assert/strict";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import { warmUpCount, warmUpFastPath, warmUpLines } from "../../lib/ingest/warm_up.ts";
import { createRunState } from "../../lib/ingest/line_handler.ts";
import { createZoneClock } from "../../lib/time.ts";

Deno.test("warm-up: every line is a query the fast path takes, each form of client, server, view and flags among them", () => {
  const lines = warmUpLines();
  const parsed = lines.map((line) => parseBindLine(line));
  for (const [i, p] of parsed.entries()) assert.equal(p.kind, "query", lines[i]);
  const queries = parsed.flatMap((p) => p.kind === "query" ? [p] : []);
  assert.ok(queries.some((q) => q.clientIp.includes(":")), "an IPv6 client");
  assert.ok(queries.some((q) => q.serverIp?.includes(":")), "an IPv6 server");
  assert.ok(queries.some((q) => q.view !== null) && queries.some((q) => q.view === null));
  assert.ok(new Set(queries.map((q) => q.flags)).size >= 6, "flags of several forms");
  const t0 = performance.now();
  assert.equal(warmUpFastPath(createZoneClock("UTC"), 1, null), 3 * lines.length);
  console.log(`warm-up: ${(performance.now() - t0).toFixed(1)} ms`);
});

Deno.test("warm-up: once a thread, however many run states a follower makes", () => {
  for (let pass = 0; pass < 5; pass++) {
    createRunState({ tz: "UTC", nodeId: 1, fast: true, privacy: null });
  }
  assert.equal(warmUpCount(), 1);
});
