import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanEnv, runProgram } from "./integration/pg.ts";

const FIXTURES = new URL("./fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));

const embedded = (dataDir: string) => ({ DNSA_DATA_DIR: dataDir, DNSA_LOG_TZ: "UTC" });

Deno.test("embedded database: migrations, fixture ingest, report, second run adds nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-emb-" });
  try {
    const a = await runProgram(["ingest", QUERIES, ERRORS], embedded(dir));
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.json!.rows, truth.expected_queries_log_lines);
    assert.equal(a.json!.rejected, 0);
    assert.match(a.stderr, /migrations applied/);
    const b = await runProgram(["ingest", ERRORS, QUERIES], embedded(dir));
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.json!.rows, 0);
    const r = await runProgram(
      ["report", "top-domains", "--format", "json", "--limit", "10"],
      embedded(dir),
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { domain: string; hit_count: number }[];
    const sent = truth.client_side.top_50_domains as Record<string, number>;
    assert.equal(rows[0].domain, "youtube.com");
    for (const row of rows) assert.equal(row.hit_count, sent[row.domain], row.domain);
    // A client's top domains and qtypes (the drill-down of one value, dnsa_block_rows_at)
    // equal its rows in the query log counted here.
    const all = await runProgram(
      ["report", "queries", "--client", "127.0.0.14", "--format", "json", "--limit", "1000000"],
      embedded(dir),
    );
    assert.equal(all.code, 0, all.stderr);
    const raw = JSON.parse(all.stdout) as { domain: string; qtype: string }[];
    assert.ok(raw.length > 100);
    for (const by of ["domain", "qtype"] as const) {
      const expected = new Map<string, number>();
      for (const r of raw) expected.set(r[by], (expected.get(r[by]) ?? 0) + 1);
      const d = await runProgram(
        [
          "report",
          "client-domains",
          "--client",
          "127.0.0.14",
          "--by",
          by,
          "--format",
          "json",
          "--limit",
          "100000",
        ],
        embedded(dir),
      );
      assert.equal(d.code, 0, d.stderr);
      const got = JSON.parse(d.stdout) as Record<string, string | number>[];
      assert.deepEqual(new Map(got.map((r) => [r[by], r.hit_count])), expected);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedded database: a second process on the same directory gets a clear message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-emb-" });
  try {
    const lock = join(dir, "dns-analytics.pid");
    // A live process that is not dns-analytics: Deno itself, waiting (no other program needed).
    const sleeper = new Deno.Command(Deno.execPath(), {
      args: ["eval", "await new Promise((r) => setTimeout(r, 30_000))"],
    }).spawn();
    await Deno.writeTextFile(lock, `${sleeper.pid}\n`);
    const r = await runProgram(["migrate"], embedded(dir));
    sleeper.kill();
    await sleeper.status;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /in use by another dns-analytics process \(pid \d+\)/);
    assert.match(r.stderr, /DNSA_DATA_DIR/);
    // A lock left by a process that is gone is taken over.
    const again = await runProgram(["migrate"], embedded(dir));
    assert.equal(again.code, 0, again.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo: simulated traffic through rotations, every query stored, Ctrl-C exits 0", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "demo", "--rate", "2000"],
    env: { ...cleanEnv(), NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  // Wait until it shows traffic being stored, then press Ctrl-C.
  const until = Date.now() + 60_000;
  while (!/stored [1-9]\d{3,}/.test(out) && Date.now() < until) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  assert.equal(status.code, 0, out);
  const m = /stopped: (\d+) of (\d+) simulated queries stored/.exec(out);
  assert.ok(m, out);
  assert.ok(Number(m[2]) > 1000);
  assert.equal(m[1], m[2]);
  assert.match(out, /1\. youtube\.com/);
});
