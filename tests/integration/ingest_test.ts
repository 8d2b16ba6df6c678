import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { createTestDb, runProgram } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));

type Counted = { k: string; n: number };
const asMap = (rows: Counted[]) => Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "dnsa-it-" });
}

Deno.test("fixture logs: every query line is a row, rcodes joined, a second run adds nothing", async () => {
  const db = await createTestDb();
  try {
    const first = await db.run(["ingest", QUERIES, ERRORS]);
    assert.equal(first.code, 0, first.stderr);
    const s = first.json!;
    assert.equal(s.lines, truth.queries_log_derived.lines + truth.query_errors_log.lines);
    assert.equal(s.rows, truth.expected_queries_log_lines);
    assert.equal(s.rejected, 0);
    assert.equal(s.pending, 0);
    assert.deepEqual(s.reasons, {});

    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(n, truth.expected_queries_log_lines);
    const derived = truth.queries_log_derived;
    const byType = await db.sql<Counted[]>`
      select qtype as k, count(*)::int as n from dns_queries group by qtype`;
    assert.deepEqual(asMap(byType), derived.by_qtype);
    const byClient = await db.sql<Counted[]>`
      select host(client_ip) as k, count(*)::int as n from dns_queries group by 1`;
    assert.deepEqual(asMap(byClient), derived.by_client_ip);
    const byView = await db.sql<Counted[]>`
      select coalesce(view, '(none)') as k, count(*)::int as n from dns_queries group by 1`;
    assert.deepEqual(asMap(byView), derived.by_view);
    const byServer = await db.sql<Counted[]>`
      select host(server_ip) as k, count(*)::int as n from dns_queries group by 1`;
    assert.deepEqual(asMap(byServer), derived.by_server_ip);
    const [f] = await db.sql`
      select count(*) filter (where transport = 'tcp')::int as tcp,
             count(*) filter (where edns_version = 0)::int as edns,
             count(*) filter (where not recursion_desired)::int as rd_clear,
             count(*) filter (where client_subnet is not null)::int as ecs,
             count(distinct domain)::int as domains
      from dns_queries`;
    assert.equal(f.tcp, derived.tcp_T_flag);
    assert.equal(f.edns, derived.edns_E_flag);
    assert.equal(f.rd_clear, derived.rd_clear);
    assert.equal(f.ecs, derived.ecs_lines);
    assert.equal(f.domains, derived.distinct_qnames_lowercased_no_trailing_dot);

    // SERVFAIL rows = `query failed (failure)` + `(SERVFAIL)` lines; REFUSED = `(REFUSED)`.
    const kinds = truth.query_errors_log.kinds;
    const rcodes = await db.sql<Counted[]>`
      select coalesce(response_rcode, '-') as k, count(*)::int as n from dns_queries group by 1`;
    const r = asMap(rcodes);
    assert.equal(r.SERVFAIL, kinds["query failed (failure)"] + kinds["query failed (SERVFAIL)"]);
    assert.equal(r.REFUSED, kinds["query failed (REFUSED)"]);
    assert.equal(r.NXDOMAIN, undefined, "the query log never says NXDOMAIN");
    const [e] = await db.sql`
      select count(*) filter (where kind = 'failed')::int as failed,
             count(*) filter (where kind = 'ratelimit')::int as ratelimit,
             count(*) filter (where kind = 'failed' and matched_query_at is null)::int as orphans
      from dns_query_errors`;
    const rateLimitLines = Object.entries(kinds).filter(([k]) => k.startsWith("rate limit"))
      .reduce((a, [, v]) => a + (v as number), 0);
    assert.equal(e.ratelimit, rateLimitLines);
    assert.equal(e.failed, truth.query_errors_log.lines - rateLimitLines);
    assert.equal(e.orphans, 0);
    // Every joined line sits at or after its query, within the window.
    const [late] = await db.sql`
      select count(*)::int as n from dns_query_errors
      where matched_query_at is not null
        and (logged_at < matched_query_at or logged_at > matched_query_at + interval '60 s')`;
    assert.equal(late.n, 0);

    const second = await db.run(["ingest", ERRORS, QUERIES]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.json!.rows, 0);
    assert.equal(second.json!.lines, 0);
    const [again] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(again.n, truth.expected_queries_log_lines);
    const [errAgain] = await db.sql`select count(*)::int as n from dns_query_errors`;
    assert.equal(errAgain.n, truth.query_errors_log.lines);
  } finally {
    await db.drop();
  }
});

Deno.test("errors ingested before their queries are joined when the queries arrive", async () => {
  const db = await createTestDb();
  try {
    const a = await db.run(["ingest", ERRORS]);
    assert.equal(a.code, 0, a.stderr);
    const [o] = await db.sql`
      select count(*)::int as n from dns_query_errors
      where kind = 'failed' and matched_query_at is null`;
    assert.ok(o.n > 1000, "unmatched while their queries are missing");
    const b = await db.run(["ingest", QUERIES]);
    assert.equal(b.code, 0, b.stderr);
    const [after] = await db.sql`
      select count(*) filter (where matched_query_at is null and kind = 'failed')::int as orphans,
             (select count(*)::int from dns_queries where response_rcode is not null) as rcodes
      from dns_query_errors`;
    assert.equal(after.orphans, 0);
    assert.equal(after.rcodes, truth.query_errors_log.lines - 44);
  } finally {
    await db.drop();
  }
});

Deno.test("a rotated set in shuffled argument order is read oldest first, each line once", async () => {
  const db = await createTestDb();
  try {
    const dir = join(FIXTURES, "rotation");
    const names = [...Deno.readDirSync(dir)].map((e) => join(dir, e.name));
    names.sort(() => Math.random() - 0.5);
    const r = await db.run(["ingest", ...names]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.rows, truth.rotation_sample.queries_sent);
    const [c] = await db.sql`
      select count(*)::int as n, count(distinct (queried_at, client_port, domain))::int as d
      from dns_queries`;
    assert.equal(c.n, truth.rotation_sample.queries_sent);
    const [{ n: errs }] = await db.sql`select count(*)::int as n from dns_query_errors`;
    assert.equal(errs, 11);
  } finally {
    await db.drop();
  }
});

Deno.test("identical lines are separate queries; a pending line is stored once complete", async () => {
  const db = await createTestDb();
  const dir = await tempDir();
  try {
    const line =
      "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): query: youtube.com IN A +E(0)K (127.0.0.1)\n";
    const path = join(dir, "queries.log");
    await Deno.writeTextFile(path, line + line + line.slice(0, 40));
    const a = await db.run(["ingest", path]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(
      [a.json!.lines, a.json!.rows, a.json!.pending, a.json!.rejected],
      [3, 2, 1, 0],
    );
    await Deno.writeTextFile(path, line.slice(40), { append: true });
    const b = await db.run(["ingest", path]);
    assert.deepEqual([b.json!.lines, b.json!.rows, b.json!.pending], [1, 1, 0]);
    const c = await db.run(["ingest", path]);
    assert.deepEqual([c.json!.lines, c.json!.rows], [0, 0]);
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(n, 3);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input is counted by reason, sampled, and loses nothing around it", async () => {
  const db = await createTestDb();
  const dir = await tempDir();
  try {
    const good = (port: number) =>
      `25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#${port} (a.example.com): query: a.example.com IN A +E(0) (127.0.0.1)\n`;
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [
      enc.encode(good(1)),
      new Uint8Array([0x80, 0xff, 0x00, 0x13, 0x37, 0x0a]), // binary garbage (has a NUL)
      enc.encode(good(2)),
      new Uint8Array([...enc.encode("25-Nov-2026 20:43:16.780 client caf"), 0xc3, 0x28, 0x0a]),
      enc.encode(good(3)),
      new Uint8Array([...enc.encode("bad"), 0, ...enc.encode("line\n")]),
      enc.encode("x".repeat(1_048_576) + "\n"),
      enc.encode("this is not a bind line at all\n"),
      enc.encode("25-Nov-2026 20:43:16.780 general: notice: running\n"),
      enc.encode(good(4)),
      enc.encode(good(5).slice(0, 50)),
    ];
    const mixed = join(dir, "mixed.log");
    await Deno.writeFile(mixed, new Uint8Array(parts.flatMap((p) => [...p])));
    const empty = join(dir, "empty.log");
    await Deno.writeFile(empty, new Uint8Array());
    const missing = join(dir, "missing.log");
    const gz = join(dir, "other.log.gz");
    await Deno.writeFile(gz, gzipSync(enc.encode(good(6) + good(7))));
    const r = await db.run(["ingest", mixed, empty, missing, gz, dir]);
    assert.equal(r.code, 2, "a file that could not be read → exit 2");
    assert.match(r.stderr, /missing\.log": no such file/);
    assert.match(r.stderr, /is a directory/);
    const s = r.json!;
    assert.equal(s.rows, 6);
    assert.equal(s.pending, 1);
    assert.equal(s.skipped, 1);
    assert.equal(s.rejected, 5);
    const reasons = s.reasons as Record<string, number>;
    assert.equal(reasons.too_long, 1);
    assert.equal(reasons.nul_byte, 2);
    assert.equal(reasons.invalid_utf8, 1);
    assert.equal(Object.values(reasons).reduce((a, b) => a + b, 0), 5);
    assert.equal(
      s.lines,
      (s.rows as number) + (s.skipped as number) + (s.rejected as number) +
        (s.pending as number),
    );
    const samples = await db.sql<{ reason: string; sample: Uint8Array; line_length: number }[]>`
      select reason, sample, line_length from ingest_rejects order by byte_offset`;
    assert.equal(samples.length, 5);
    assert.deepEqual([...samples[0].sample], [0x80, 0xff, 0x00, 0x13, 0x37]);
    const long = samples.find((x) => x.reason === "too_long")!;
    assert.equal(long.line_length, 1_048_576);
    assert.ok(long.sample.length <= 1024);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file compressed after it was read is recognised and adds nothing", async () => {
  const db = await createTestDb();
  const dir = await tempDir();
  try {
    const text = gunzipSync(await Deno.readFile(QUERIES));
    const firstK = text.subarray(0, text.indexOf(10, 200_000) + 1);
    const plain = join(dir, "queries.log.1");
    await Deno.writeFile(plain, firstK);
    const a = await db.run(["ingest", plain]);
    assert.equal(a.code, 0, a.stderr);
    await Deno.writeFile(join(dir, "queries.log.1.gz"), gzipSync(firstK));
    await Deno.remove(plain);
    const b = await db.run(["ingest", join(dir, "queries.log.1.gz")]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.json!.rows, 0);
    assert.equal(b.json!.lines, 0);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report top-domains: contract columns, order and formats", async () => {
  const db = await createTestDb();
  try {
    await db.run(["ingest", QUERIES, ERRORS]);
    const r = await db.run(["report", "top-domains", "--format", "json", "--limit", "50"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { domain: string; hit_count: number }[];
    assert.equal(rows.length, 50);
    // The client-side top 50 counts queries sent; two of them never reached the query log.
    const sent = truth.client_side.top_50_domains as Record<string, number>;
    const notLogged = truth.queries_sent_but_not_logged as { qname: string }[];
    let compared = 0;
    for (const row of rows) {
      if (sent[row.domain] === undefined) continue;
      const expected = sent[row.domain] - notLogged.filter((q) => q.qname === row.domain).length;
      assert.equal(row.hit_count, expected, row.domain);
      compared++;
    }
    assert.ok(compared >= 45, `compared ${compared} domains with the ground truth`);
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1], b = rows[i];
      assert.ok(a.hit_count > b.hit_count || (a.hit_count === b.hit_count && a.domain < b.domain));
    }
    const [top] = await db.sql`
      select domain, count(*)::int as n from dns_queries group by domain
      order by n desc, domain limit 1`;
    assert.deepEqual([rows[0].domain, rows[0].hit_count], [top.domain, top.n]);
    const csv = await db.run(["report", "top-domains", "--format", "csv", "--limit", "3"]);
    assert.equal(csv.stdout.trim().split("\n").length, 4);
    assert.match(csv.stdout, /^domain,apex_domain,hit_count,/);
  } finally {
    await db.drop();
  }
});

Deno.test("the embedded database and PostgreSQL give the same results for the same input", async () => {
  const db = await createTestDb();
  const dir = await tempDir();
  const emb = { DNSA_DATA_DIR: dir, DNSA_LOG_TZ: "UTC", DNSA_NODE: "test" };
  try {
    const rotation = join(FIXTURES, "rotation");
    const files = [
      QUERIES,
      ERRORS,
      ...[...Deno.readDirSync(rotation)].map((e) => join(rotation, e.name)),
    ];
    const pg = await db.run(["ingest", ...files]);
    const em = await runProgram(["ingest", ...files], emb);
    assert.equal(pg.code, 0, pg.stderr);
    assert.equal(em.code, 0, em.stderr);
    const strip = (j: Record<string, unknown>) => ({ ...j, seconds: 0 });
    assert.deepEqual(strip(em.json!), strip(pg.json!));
    const args = ["report", "top-domains", "--format", "json", "--limit", "100000"];
    const a = await db.run(args);
    const b = await runProgram(args, emb);
    const pgRows = JSON.parse(a.stdout), emRows = JSON.parse(b.stdout);
    assert.ok(
      pgRows.length >= truth.queries_log_derived.distinct_qnames_lowercased_no_trailing_dot,
    );
    assert.deepEqual(emRows, pgRows);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("read while migrating: rows under the run's node (not the first), resumed from its checkpoint by name, a failed migration stores nothing", async () => {
  const db = await createTestDb();
  const dir = await tempDir();
  try {
    const lines = gunzipSync(await Deno.readFile(QUERIES));
    const half = lines.indexOf(10, lines.length >> 1) + 1;
    const log = join(dir, "queries.log");
    // Two other nodes first: the run's node gets id 3, which no batch knows while it is read.
    for (const node of ["dns1", "dns2"]) {
      const other = await db.run(["ingest", log + ".none"], { DNSA_NODE: node });
      assert.equal(other.code, 2, other.stderr);
    }
    await Deno.writeFile(log, lines.subarray(0, half));
    const first = await db.run(["ingest", log], { DNSA_NODE: "dns3" });
    assert.equal(first.code, 0, first.stderr);
    await Deno.writeFile(log, lines); // the second half appended
    const second = await db.run(["ingest", log], { DNSA_NODE: "dns3" });
    assert.equal(second.code, 0, second.stderr);
    const rows = (r: typeof first) => Number(r.json!.rows);
    assert.equal(rows(first) + rows(second), truth.expected_queries_log_lines);
    const byNode = await db.sql<{ node_name: string; n: number }[]>`
      select n.node_name, count(*)::int as n
      from dns_queries q join dns_nodes n using (node_id) group by 1`;
    assert.deepEqual([...byNode], [{ node_name: "dns3", n: truth.expected_queries_log_lines }]);
    const [{ id }] = await db.sql`select node_id as id from dns_nodes where node_name = 'dns3'`;
    const [{ blocks }] = await db.sql`
      select count(*)::int as blocks from dns_query_blocks where node_id <> ${id}`;
    assert.equal(blocks, 0);

    // A changed migration stops the run before anything is stored, with its message.
    await db.sql`update schema_migrations set checksum = 'changed' where version = 1`;
    const again = join(dir, "again.log");
    await Deno.writeFile(again, lines.subarray(0, half));
    const failed = await db.run(["ingest", again], { DNSA_NODE: "dns4" });
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /Migration 0001_init\.sql was changed after it was applied/);
    assert.doesNotMatch(failed.stderr, /file not read/);
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(n, truth.expected_queries_log_lines);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
