/**
 * The CSV export of the raw query search against real PostgreSQL: the SQL cell rule
 * (dnsa_csv_cell under COPY's quoting) equals lib/csv.ts's on a table of tricky cells; the
 * COPY export gives the same lines as the cursor export (the embedded database's path) on the
 * BIND fixture with formula names, quotes and commas; an export stopped early frees its
 * connection; and the command line on the embedded database writes the same CSV as on
 * PostgreSQL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { createTestDb, runProgram } from "./pg.ts";
import { csvField } from "../../lib/csv.ts";
import type { Sql } from "../../lib/db/connect.ts";
import { copyOutChunks } from "../../lib/db/copy.ts";
import { exportQueriesCsv } from "../../lib/search/csv_export.ts";
import { parseQueryFilter, type QueryFilter } from "../../lib/search/filter.ts";
import { sqlLiteral } from "../../lib/search/query_sql.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");

/** Cells a spreadsheet would run, cells CSV must quote, and cells that only look like either. */
const TRICKY: (string | null)[] = [
  null,
  "",
  "plain.example.com",
  "=1+1",
  '=HYPERLINK("http://x","y")',
  "+1",
  "+",
  "-",
  "-1",
  "-0",
  "-1.5",
  "-00.10",
  "-1.",
  "-.5",
  "-1e5",
  "1e5",
  "-3\n",
  "-3 ",
  "- 1",
  "--",
  "-\u0661\u0662",
  "@SUM(A1)",
  "@",
  "\tx",
  "\t",
  "\rx",
  "\r\n",
  "\n=1",
  "a\nb",
  "a\r\nb",
  'say "hi"',
  '"',
  '=" quoted',
  "a,b",
  ",=",
  " =1",
  "  -3",
  "'",
  "'=x",
  "\\.",
  "\\",
  "x\ty",
  "é=",
  "=é",
  "<img src=x onerror=alert(1)>.example",
  "\u00a0=1",
  "ﾠ",
];

async function copyText(sql: Sql, text: string): Promise<string> {
  const dec = new TextDecoder();
  let out = "";
  for await (const c of copyOutChunks(sql, text)) out += dec.decode(c, { stream: true });
  return out + dec.decode();
}

Deno.test("dnsa_csv_cell under COPY's quoting writes every cell as lib/csv.ts does", async () => {
  const db = await createTestDb();
  try {
    const mig = await db.run(["migrate"]);
    assert.equal(mig.code, 0, mig.stderr);
    const cells = TRICKY.map((c) => c === null ? "null" : sqlLiteral(c)).join(", ");
    // Two columns: COPY quotes a lone `\.` of a one-column row, which is not the rule's case.
    const text = `copy (select ord, dnsa_csv_cell(cell) from unnest(array[${cells}]::text[]) ` +
      `with ordinality as t (cell, ord) order by ord) to stdout (format csv)`;
    const got = await copyText(db.sql as unknown as Sql, text);
    const want = TRICKY.map((c, i) => `${i + 1},${csvField(c)}\n`).join("");
    assert.equal(got, want);
    // Each cell on its own, so a failure names it.
    const lines = got.split(/(?<=\n)(?=\d+,)/);
    TRICKY.forEach((c, i) =>
      assert.equal(lines[i], `${i + 1},${csvField(c)}\n`, JSON.stringify(c))
    );
  } finally {
    await db.drop();
  }
});

function filter(input: Record<string, string>): QueryFilter {
  const f = parseQueryFilter(input, { tz: "UTC" });
  if (!f.ok) throw new Error(f.message);
  return f.value;
}

async function exportText(
  sql: Sql,
  f: QueryFilter,
  options: { copy: boolean; limit?: number; tz?: string; eol?: "\n" | "\r\n" },
): Promise<string> {
  const dec = new TextDecoder();
  let out = "";
  const chunks = exportQueriesCsv(sql, f, {
    limit: options.limit ?? null,
    tz: options.tz ?? "UTC",
    copy: options.copy,
    eol: options.eol,
  });
  for await (const c of chunks) out += dec.decode(c, { stream: true });
  return out + dec.decode();
}

/** The records of a CSV text: header, and the records sorted (ties may come in any order). */
function records(text: string, eol: string): { header: string; rows: string[] } {
  assert.ok(text.endsWith(eol), "the last record is ended");
  // Split at the line ends outside quoted fields (a quoted field may hold a line break).
  const out: string[] = [];
  let quoted = false, start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (!quoted && text.startsWith(eol, i)) {
      out.push(text.slice(start, i));
      start = i + eol.length;
      i += eol.length - 1;
    }
  }
  return { header: out[0], rows: out.slice(1).sort() };
}

Deno.test("the COPY export equals the cursor export; a stopped export frees its connection", async () => {
  const db = await createTestDb();
  const one = postgres(db.url, { max: 1, onnotice: () => {} }) as unknown as Sql;
  try {
    const ing = await db.run(["ingest", QUERIES, ERRORS]);
    assert.equal(ing.code, 0, ing.stderr);
    // Names a spreadsheet would run, quotes, commas, a line break; a client name with
    // markup; microseconds that must be cut to milliseconds as JavaScript's Date cuts them.
    await db.sql`
      update dns_queries set domain = case (extract(second from queried_at)::int % 5)
          when 0 then '=cmd|'' /C calc''!A0.example' when 1 then '-2.5'
          when 2 then 'a,b"c.example' when 3 then E'line\nbreak.example' else '@x.example' end,
        queried_at = queried_at + interval '123.456 microseconds'
      where client_ip = '127.0.0.14' and qtype = 'A'`;
    await db.sql`
      insert into dns_client_names (address, name, source)
      values ('127.0.0.14', '+<b>printer</b>', 'hosts'), ('127.0.0.2', 'desk,2', 'dhcp')`;
    const cases: [string, QueryFilter, number | undefined][] = [
      ["every row", filter({}), undefined],
      ["one client", filter({ client: "127.0.0.14" }), undefined],
      ["a suffix", filter({ domain: "*.google.com" }), undefined],
      ["a limit", filter({ rcode: "REFUSED" }), 10],
    ];
    for (const [what, f, limit] of cases) {
      const zones = [["\n", "UTC"], ["\r\n", "America/Sao_Paulo"], ["\n", "-02:30"]] as const;
      for (const [eol, tz] of zones) {
        const byCopy = await exportText(db.sql as unknown as Sql, f, {
          copy: true,
          limit,
          tz,
          eol,
        });
        const byCursor = await exportText(db.sql as unknown as Sql, f, {
          copy: false,
          limit,
          tz,
          eol,
        });
        if (what === "every row") {
          assert.ok(byCopy.includes("'=cmd|' /C calc'!A0.example"), "formula neutralised");
        }
        assert.deepEqual(records(byCopy, eol), records(byCursor, eol), `${what}, ${tz}`);
        const rows = records(byCopy, eol).rows.length;
        assert.ok(limit === undefined ? rows > 10 : rows === limit, `${what}: ${rows} rows`);
      }
    }
    const all = await exportText(db.sql as unknown as Sql, filter({}), { copy: true });
    const stamps = all.split("\n").slice(1, -1).filter((l) => /^\d{4}-\d\d-\d\dT/.test(l))
      .map((l) => l.slice(0, 29));
    assert.ok(stamps.length > 25_000, `${stamps.length} rows`);
    assert.match(stamps[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    const sorted = [...stamps].sort().reverse();
    assert.deepEqual(stamps, sorted, "newest first");

    // Stopped after its first chunk: its COPY ends on the server (bounded wait), and the pool
    // it was given is untouched.
    let chunks = 0;
    for await (
      const _ of exportQueriesCsv(one, filter({}), { limit: null, tz: "UTC", copy: true })
    ) {
      if (++chunks === 1) break;
    }
    let copying = 1;
    for (let i = 0; i < 100 && copying > 0; i++) {
      [{ copying }] = await one<{ copying: number }[]>`
        select count(*)::int as copying from pg_stat_activity
        where datname = current_database() and query like 'copy (%' and pid <> pg_backend_pid()`;
      if (copying > 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(copying, 0, "the stopped COPY ended");
    const [{ ok }] = await one<{ ok: number }[]>`select 1 as ok`;
    assert.equal(ok, 1);
  } finally {
    await one.end({ timeout: 5 });
    await db.drop();
  }
});

Deno.test("report queries --format csv: the embedded database writes what PostgreSQL writes", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-emb-csv-" });
  const embedded = { DNSA_DATA_DIR: dir, DNSA_LOG_TZ: "UTC", DNSA_NODE: "test" };
  try {
    for (const run of [(a: string[]) => db.run(a), (a: string[]) => runProgram(a, embedded)]) {
      const r = await run(["ingest", QUERIES, ERRORS]);
      assert.equal(r.code, 0, r.stderr);
    }
    for (
      const args of [
        ["--domain", "*.google.com"],
        ["--client", "127.0.0.14", "--rcode", "REFUSED"],
        [],
      ]
    ) {
      const cmd = ["report", "queries", ...args, "--format", "csv", "--limit", "1000000"];
      const pg = await db.run(cmd);
      const emb = await runProgram(cmd, embedded);
      assert.equal(pg.code, 0, pg.stderr);
      assert.equal(emb.code, 0, emb.stderr);
      const a = records(pg.stdout, "\n"), b = records(emb.stdout, "\n");
      assert.ok(a.rows.length > 100, `${args.join(" ")}: ${a.rows.length} rows`);
      assert.deepEqual(a, b, args.join(" "));
    }
    // json on the embedded database streams through a cursor too (more than one batch).
    const json = await runProgram(
      ["report", "queries", "--format", "json", "--limit", "1000000"],
      embedded,
    );
    assert.equal(json.code, 0, json.stderr);
    assert.ok((JSON.parse(json.stdout) as unknown[]).length > 25_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await db.drop();
  }
});
