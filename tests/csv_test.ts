/**
 * One CSV rule for `report --format csv` and the HTTP export (lib/csv.ts): a query name that a
 * spreadsheet would run as a formula is written as text in both, numbers stay numbers.
 */
import assert from "node:assert/strict";
import { csvField } from "../lib/csv.ts";
import { csv } from "../lib/http/respond.ts";
import { formatReport } from "../lib/report.ts";

const ROWS = [
  { domain: '=HYPERLINK("http://x.example","y")', hit_count: 3 },
  { domain: "+1.example", hit_count: -2 },
  { domain: "-cmd.example", hit_count: 0 },
  { domain: "@sum.example", hit_count: 1.5 },
  { domain: "\tx.example", hit_count: 7 },
  { domain: "-12", hit_count: 1 },
  { domain: "plain.example", hit_count: 1 },
];

Deno.test("report --format csv neutralises formula cells as the HTTP export does", async () => {
  const cli = formatReport({ columns: ["domain", "hit_count"], rows: ROWS }, "csv").split("\n");
  assert.deepEqual(cli, [
    "domain,hit_count",
    `"'=HYPERLINK(""http://x.example"",""y"")",3`,
    "'+1.example,-2",
    "'-cmd.example,0",
    "'@sum.example,1.5",
    "'\tx.example,7",
    "-12,1",
    "plain.example,1",
  ]);
  const http = await csv("top-domains", ["domain", "hit_count"], ROWS).text();
  assert.deepEqual(http.trimEnd().split("\r\n"), cli, "the same fields in both");
  assert.equal(csvField(null), "");
  assert.equal(csvField(new Date(Date.UTC(2026, 10, 25))), "2026-11-25T00:00:00.000Z");
});
