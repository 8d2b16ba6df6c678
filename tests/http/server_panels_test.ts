import assert from "node:assert/strict";
import { rcodeShares } from "../../lib/http/dashboard/server.js";

const stats = (unknown: number) => ({
  rows: [
    { rcode: "NOERROR", rate_pct: 100 - unknown },
    { rcode: "NXDOMAIN", rate_pct: 0 },
    { rcode: "unknown", rate_pct: unknown },
  ],
});
const named = {
  rows: [
    { rcode: "NOERROR", responses: 60, rate_pct: 60 },
    { rcode: "NXDOMAIN", responses: 40, rate_pct: 40 },
  ],
};

Deno.test("summary shares: named's counters where the query log has no rcode, and said so", () => {
  const s = rcodeShares(stats(94), named);
  assert.equal(s.source, "named");
  assert.equal(s.rate("NXDOMAIN"), 40);
  // dnstap knows every rcode: the statistics stay the source.
  const d = rcodeShares(stats(0), named);
  assert.equal(d.source, "statistics");
  assert.equal(d.rate("NOERROR"), 100);
  // No counters (channel not read): the statistics, with their unknown share.
  assert.equal(rcodeShares(stats(94), null).source, "statistics");
  assert.equal(rcodeShares(stats(94), { rows: [] }).source, "statistics");
});
