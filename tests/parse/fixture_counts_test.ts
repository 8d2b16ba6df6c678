/**
 * Parses every line of the real BIND 9.18 fixtures and checks the counts against
 * `ground_truth.json` (computed independently with strict regexes over the same files).
 */

import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { normalizeDomain } from "../../lib/domain.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import type { ParsedLine } from "../../lib/parse/types.ts";

const DIR = new URL("../fixtures/bind-9.18/", import.meta.url);
const truth = JSON.parse(await Deno.readTextFile(new URL("ground_truth.json", DIR)));

async function readLines(name: string): Promise<string[]> {
  const bytes = await Deno.readFile(new URL(name, DIR));
  const text = new TextDecoder("utf-8", { fatal: true }).decode(
    name.endsWith(".gz") ? gunzipSync(bytes) : bytes,
  );
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function tally(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** BIND's print-time local format, from the wall-clock `time`. */
function formatLocal(time: number): string {
  const d = new Date(time);
  const mon = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCDate())}-${mon}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:` +
    `${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

function kinds(results: ParsedLine[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) tally(counts, r.kind === "rejected" ? `rejected:${r.reason}` : r.kind);
  return counts;
}

Deno.test("queries.log.gz: every line is a query and the derived counts match", async () => {
  const want = truth.queries_log_derived;
  const lines = await readLines("queries.log.gz");
  assert.equal(lines.length, truth.expected_queries_log_lines);
  const results = lines.map(parseBindLine);
  assert.deepEqual(kinds(results), { query: want.lines });

  const byClient: Record<string, number> = {};
  const byType: Record<string, number> = {};
  const byClass: Record<string, number> = {};
  const byView: Record<string, number> = {};
  const byFlags: Record<string, number> = {};
  const byServer: Record<string, number> = {};
  let tcp = 0, edns = 0, rdClear = 0, ecs = 0, ipv6 = 0, upper = 0, msOff = 0;
  const domains = new Set<string>();
  const times: number[] = [];
  for (const r of results) {
    assert(r.kind === "query");
    tally(byClient, r.clientIp);
    tally(byType, r.qtype ?? "");
    tally(byClass, r.qclass ?? "");
    tally(byView, r.view ?? "(none)");
    tally(byFlags, r.flags ?? "");
    tally(byServer, r.serverIp ?? "");
    if (r.tcp) tcp++;
    if (r.ednsVersion !== null) edns++;
    if (r.recursionDesired === false) rdClear++;
    if (r.ecsSubnet !== null) ecs++;
    if (r.clientIp.includes(":")) ipv6++;
    if (r.qname !== r.qname.toLowerCase()) upper++;
    if (r.time % 4 !== 0) msOff++;
    assert.equal(r.zoned, false);
    assert.equal(r.yearless, false);
    domains.add(normalizeDomain(r.qname));
    times.push(r.time);
  }
  assert.deepEqual(byClient, want.by_client_ip);
  assert.deepEqual(byType, want.by_qtype);
  assert.deepEqual(byClass, want.by_class);
  assert.deepEqual(byView, want.by_view);
  assert.deepEqual(byFlags, want.by_flags);
  assert.deepEqual(byServer, want.by_server_ip);
  assert.equal(tcp, want.tcp_T_flag);
  assert.equal(edns, want.edns_E_flag);
  assert.equal(rdClear, want.rd_clear);
  assert.equal(ecs, want.ecs_lines);
  assert.equal(ipv6, want.ipv6_clients);
  assert.equal(upper, want.qname_differs_from_lowercase);
  assert.equal(domains.size, want.distinct_qnames_lowercased_no_trailing_dot);
  assert.equal(domains.size, truth.client_side.distinct_domains);
  assert.equal(msOff, 0);
  assert.equal(formatLocal(times[0]), want.first_ts);
  assert.equal(formatLocal(times.at(-1)!), want.last_ts);
  for (let i = 1; i < times.length; i++) assert(times[i] >= times[i - 1], `line ${i + 1}`);
});

Deno.test("query-errors.log: 1,519 query failed + 44 rate-limit lines, counts match", async () => {
  const want = truth.query_errors_log;
  const lines = await readLines("query-errors.log");
  assert.equal(lines.length, want.lines);
  const results = lines.map(parseBindLine);
  const kindCounts: Record<string, number> = {};
  const byView: Record<string, number> = {};
  const byClient: Record<string, number> = {};
  const byReasonView: Record<string, number> = {};
  const types: Record<string, number> = {};
  for (const r of results) {
    assert(r.kind === "error" || r.kind === "ratelimit", JSON.stringify(r));
    tally(byView, r.view ?? "(none)");
    tally(byClient, r.clientIp);
    if (r.kind === "error") {
      tally(kindCounts, `query failed (${r.reason})`);
      tally(byReasonView, `query failed (${r.reason}) view=${r.view ?? "-"}`);
      tally(types, `${r.reason} ${r.qclass}/${r.qtype}`);
      assert.notEqual(r.qname, "");
    } else {
      tally(kindCounts, `rate limit ${r.action} ${r.reason} error response`);
      assert.notEqual(r.qname, "");
    }
  }
  assert.deepEqual(kindCounts, want.kinds);
  assert.deepEqual(byView, want.by_view);
  assert.deepEqual(byClient, want.by_client_ip);
  assert.deepEqual(byReasonView, want.query_failed_by_reason_and_view);
  assert.deepEqual(types, want.query_failed_types);
  const errors = results.filter((r) => r.kind === "error").length;
  assert.equal(errors, 1519);
  assert.equal(results.length - errors, 44);
});

Deno.test("named-other.log.gz: every line is recognised as another category", async () => {
  const lines = await readLines("named-other.log.gz");
  assert.deepEqual(kinds(lines.map(parseBindLine)), { other: lines.length });
});

Deno.test("rotation/: every file parses; line counts and first/last times match", async () => {
  for (const f of truth.rotation_sample.files) {
    const lines = await readLines(`rotation/${f.file}`);
    const results = lines.map(parseBindLine);
    assert.equal(results.length, f.lines, f.file);
    for (const r of results) {
      assert(r.kind === "query" || r.kind === "error" || r.kind === "ratelimit", f.file);
      if (f.file.startsWith("queries")) assert.equal(r.kind, "query");
    }
    const first = results[0], last = results.at(-1)!;
    assert(first.kind !== "other" && first.kind !== "rejected");
    assert(last.kind !== "other" && last.kind !== "rejected");
    assert.equal(formatLocal(first.time), f.first, f.file);
    assert.equal(formatLocal(last.time), f.last, f.file);
  }
});
