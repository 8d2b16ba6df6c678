/**
 * `deno task bench:bus [--lines N] [--batch-rows N] [--runs N]`: rows per second from query-log
 * lines at an edge (`ingest` with DNSA_BUS and no database) to rows committed centrally by
 * `consume`, with one and with two consumers, beside a direct `ingest` of the same file into
 * the same database, all in one run. nats-server -js is started on loopback with a temporary store;
 * PostgreSQL is DNSA_TEST_DATABASE_URL's server (a fresh database, dropped at the end).
 * The time of a bus run is from the edge's start to the last row committed (polled every
 * 100 ms), the consumers already running. `--runs` rounds (default 3) of the three take
 * turns; the ratios are of the best and of the median rates.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { writeBenchLines } from "./bench_lines.ts";
import { cleanEnv, createTestDb, type TestDb } from "./integration/pg.ts";
import { startNats } from "./integration/nats.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    lines: { type: "string" },
    "batch-rows": { type: "string" },
    runs: { type: "string" },
  },
});
const lines = Number(values.lines ?? 1_000_000);
const runs = Number(values.runs ?? 3);
const batchRows = values["batch-rows"];

function run(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--max-old-space-size=256", MAIN, ...args],
    env: { ...cleanEnv(), NO_COLOR: "1", DNSA_LOG_TZ: "UTC", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Rows committed for `node`, read from its checkpoints (written in each batch's transaction):
 * polling a count(*) of dns_queries would scan millions of rows every 100 ms beside the
 * consumers being measured.
 */
async function rowsOf(db: TestDb, node: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`
    select coalesce(sum(c.rows_added), 0)::int as n
    from ingest_checkpoints c join dns_nodes n using (node_id)
    where n.node_name = ${node}`;
  return r.n;
}

/** The rows stored for `node`, counted once at the end (the figures' check). */
async function storedRows(db: TestDb, node: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from dns_queries q join dns_nodes n using (node_id)
    where n.node_name = ${node}`;
  return r.n;
}

async function busRun(
  db: TestDb,
  natsUrl: string,
  file: string,
  consumers: number,
  node: string,
): Promise<number> {
  const dataDir = await Deno.makeTempDir({ prefix: "dnsa-bench-edge-" });
  const env = { DATABASE_URL: db.url, DNSA_BUS: natsUrl, DNSA_NODE: "central" };
  const procs = Array.from({ length: consumers }, () => run(["consume"], env));
  await new Promise((r) => setTimeout(r, 3000)); // consumers connected and waiting
  const t0 = performance.now();
  const edge = run(
    ["ingest", ...(batchRows ? ["--batch-rows", batchRows] : []), file],
    { DNSA_BUS: natsUrl, DNSA_NODE: node, DNSA_DATA_DIR: dataDir },
  );
  const edgeOut = edge.output();
  let edgeSeconds = 0;
  edgeOut.then(() => edgeSeconds = (performance.now() - t0) / 1000);
  const deadline = Date.now() + 30 * 60_000;
  while ((await rowsOf(db, node)) < lines && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t0) / 1000;
  const out = await edgeOut;
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  const stored = await storedRows(db, node);
  if (stored !== lines) throw new Error(`${node}: ${stored} rows stored of ${lines}`);
  for (const p of procs) p.kill("SIGTERM");
  const stopped = [];
  for (const p of procs) {
    const text = new TextDecoder().decode((await p.output()).stderr);
    const line = text.split("\n").find((l) => l.includes('"consume stopped"'));
    const s = line ? JSON.parse(line) : {};
    stopped.push(`${s.batches} batches, ${s.deferred} deferred, ${s.redeliveries} redelivered`);
  }
  await Deno.remove(dataDir, { recursive: true });
  console.log(
    `bus, ${consumers} consumer(s): ${seconds.toFixed(2)} s, ${
      Math.round(lines / seconds)
    } rows/s` +
      ` (edge published in ${edgeSeconds.toFixed(2)} s; consumers: ${stopped.join("; ")})`,
  );
  return lines / seconds;
}

const dir = await Deno.makeTempDir({ prefix: "dnsa-bench-bus-" });
const nats = await startNats();
const db = await createTestDb();
try {
  const file = join(dir, "queries.log");
  await writeBenchLines(file, join(dir, "ref.csv"), { lines });
  console.log(`${lines} lines, ${(Deno.statSync(file).size / 1e6).toFixed(0)} MB`);
  // Rounds of direct ingest (the reference) and the bus with one and two consumers, in turn:
  // on a shared machine the load changes within a minute, and each kind meets it alike.
  const rates = { direct: [] as number[], one: [] as number[], two: [] as number[] };
  for (let round = 1; round <= runs; round++) {
    const t0 = performance.now();
    const direct = await run(["ingest", file], {
      DATABASE_URL: db.url,
      DNSA_NODE: `direct-${round}`,
    }).output();
    if (direct.code !== 0) throw new Error(new TextDecoder().decode(direct.stderr));
    const directSeconds = (performance.now() - t0) / 1000;
    rates.direct.push(lines / directSeconds);
    console.log(
      `round ${round}: direct ingest: ${directSeconds.toFixed(2)} s, ` +
        `${Math.round(lines / directSeconds)} rows/s`,
    );
    rates.one.push(await busRun(db, nats.url, file, 1, `edge-one-${round}`));
    rates.two.push(await busRun(db, nats.url, file, 2, `edge-two-${round}`));
  }
  const best = (xs: number[]) => Math.max(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const pct = (a: number, b: number) => `${(a / b * 100).toFixed(1)} %`;
  console.log(
    `ratio to direct ingest, best of ${runs}: 1 consumer ${
      pct(best(rates.one), best(rates.direct))
    }, 2 consumers ${pct(best(rates.two), best(rates.direct))}; median: 1 consumer ${
      pct(median(rates.one), median(rates.direct))
    }, 2 consumers ${pct(median(rates.two), median(rates.direct))} (goal >= 70 % with one)`,
  );
} finally {
  await db.drop();
  await nats.close();
  await Deno.remove(dir, { recursive: true });
}
