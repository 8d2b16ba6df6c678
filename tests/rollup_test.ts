/**
 * Rollup, reports and retention on the embedded database (no PostgreSQL needed): the
 * fixture's totals from the statistics equal the ground truth. Only one process may open the
 * embedded database, so everything is read through the program's own reports.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runProgram, type RunResult } from "./integration/pg.ts";

const FIXTURES = new URL("./fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));
const DAY = "2026-11-25"; // every line of the fixture, in UTC

function ok(r: RunResult, what: string): Record<string, unknown> {
  assert.equal(r.code, 0, `${what} failed:\n${r.stderr}\n${r.stdout}`);
  assert.ok(r.json, `${what}: no JSON on stdout:\n${r.stdout}`);
  return r.json;
}

function parseReport<T>(r: RunResult, what: string): T[] {
  assert.equal(r.code, 0, `${what} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as T[];
}

type QtypeRow = {
  qtype: string;
  hit_count: number;
  servfail_count: number;
  refused_count: number;
  unknown_count: number;
};
type NodeRow = {
  node_name: string;
  hit_count: number;
  share_pct: number;
  unique_clients: number;
  unique_clients_error_pct: number;
  servfail_count: number;
  refused_count: number;
  noerror_count: number;
  nxdomain_count: number;
  other_count: number;
  unknown_count: number;
  first_day: string;
  last_day: string;
  latency_p50_us: number | null;
  latency_p95_us: number | null;
  latency_p99_us: number | null;
};

Deno.test("embedded database: rollup of the fixture, re-runs, qtype-mix and node-totals against the ground truth, retention", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-emb-rollup-" });
  // The fixture day grows older than any retention: keep the statistics whatever today is.
  const env = {
    DNSA_DATA_DIR: dir,
    DNSA_LOG_TZ: "UTC",
    DNSA_NODE: "emb",
    DNSA_STATS_RETENTION_DAYS: "36500",
  };
  try {
    const ing = ok(await runProgram(["ingest", QUERIES, ERRORS], env), "ingest");
    assert.equal(ing.rows, truth.expected_queries_log_lines);

    const first = ok(await runProgram(["rollup"], env), "rollup");
    assert.equal(first.status, "ok");
    assert.equal(first.windows, 1);
    // Every query line; the fixture has no orphan query-errors lines.
    assert.equal(first.rows, truth.expected_queries_log_lines);
    assert.equal(first.first_day, DAY);
    const second = ok(await runProgram(["rollup"], env), "second rollup");
    assert.equal(second.status, "ok");
    assert.equal(second.windows, 0);
    assert.equal(second.rows, 0);

    const kinds = truth.query_errors_log.kinds as Record<string, number>;
    const servfail = kinds["query failed (failure)"] + kinds["query failed (SERVFAIL)"];
    const refused = kinds["query failed (REFUSED)"];

    const qtypes = parseReport<QtypeRow>(
      await runProgram(["report", "qtype-mix", "--format", "json", "--limit", "1000"], env),
      "qtype-mix",
    );
    assert.deepEqual(
      Object.fromEntries(qtypes.map((q) => [q.qtype, q.hit_count])),
      truth.queries_log_derived.by_qtype,
    );
    const sum = (k: keyof QtypeRow) => qtypes.reduce((a, q) => a + (q[k] as number), 0);
    assert.equal(sum("hit_count"), truth.expected_queries_log_lines);
    assert.equal(sum("servfail_count"), servfail);
    assert.equal(sum("refused_count"), refused);
    assert.equal(sum("unknown_count"), truth.expected_queries_log_lines - servfail - refused);

    const nodeTotals = async () =>
      parseReport<NodeRow>(
        await runProgram(["report", "node-totals", "--format", "json"], env),
        "node-totals",
      );
    const expectedNode: NodeRow = {
      node_name: "emb",
      hit_count: truth.expected_queries_log_lines,
      share_pct: 100,
      unique_clients: Object.keys(truth.queries_log_derived.by_client_ip).length,
      unique_clients_error_pct: 0,
      noerror_count: 0,
      nxdomain_count: 0,
      servfail_count: servfail,
      refused_count: refused,
      other_count: 0,
      unknown_count: truth.expected_queries_log_lines - servfail - refused,
      first_day: DAY,
      last_day: DAY,
      // The query log says nothing of latency.
      latency_p50_us: null,
      latency_p95_us: null,
      latency_p99_us: null,
    };
    assert.deepEqual(await nodeTotals(), [expectedNode]);

    // A forced rollup of the day gives the same totals.
    const forced = ok(await runProgram(["rollup", "--from", DAY, "--to", DAY], env), "forced");
    assert.equal(forced.rows, truth.expected_queries_log_lines);

    // Retention: the fixture's partition goes once it is older than 30 days; the
    // statistics stay either way.
    const today = new Date().toISOString().slice(0, 10);
    const cutoff = new Date(Date.parse(`${today}T00:00:00Z`) - 30 * 86_400_000)
      .toISOString().slice(0, 10);
    const ret = ok(await runProgram(["retention"], env), "retention");
    assert.equal(ret.status, "ok");
    assert.deepEqual(ret.dropped_days, DAY < cutoff ? [DAY] : []);
    assert.equal(ret.stats_days_deleted, 0);
    assert.deepEqual(await nodeTotals(), [expectedNode]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
