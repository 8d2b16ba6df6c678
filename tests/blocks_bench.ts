/**
 * Storage benchmark of query blocks: the same parsed rows written (a) as today, one heap row
 * per query by binary COPY into dns_queries of a migrated database, and (b) as blocks of B
 * queries (one row per block of one node and day, one array column per column) with lz4 and
 * with pglz compression. For each it prints bytes per query (pg_total_relation_size of every
 * table it wrote, after VACUUM ANALYZE), the write time against `psql \copy` of the same rows'
 * seed columns as CSV into a plain table (the reference of bench:backfill), and the times of
 * three reads: the seed's top domains, one 5-minute rollup window and a first search page by
 * client. Rows come from the fixture (tests/fixtures/bind-9.18) and from a synthetic day of
 * lib/demo/traffic.ts lines, both read with the project's parser. Timings are reported, never
 * asserted.
 *
 * ```sh
 * DNSA_TEST_DATABASE_URL=postgres://postgres:dnsa@127.0.0.1:5432/postgres deno task bench:blocks
 * deno task bench:blocks --synthetic 1000000 --sizes 1000,4000
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import postgres from "postgres";
import { BinaryCopyWriter } from "../lib/db/binary_copy.ts";
import { inetArray, textArray } from "../lib/db/binary_copy_arrays.ts";
import { copyIn } from "../lib/db/copy.ts";
import { migrate } from "../lib/db/migrate.ts";
import { apexDomain, normalizeDomain } from "../lib/domain.ts";
import { Inet } from "../lib/ingest/address.ts";
import { COPY_COLUMNS } from "../lib/ingest/row_sink.ts";
import { bindTimestamp, TrafficGenerator } from "../lib/demo/traffic.ts";
import { parseBindLine } from "../lib/parse/bind_line.ts";

const FIXTURE = new URL("./fixtures/bind-9.18/queries.log.gz", import.meta.url);
const ADMIN_URL = Deno.env.get("DNSA_TEST_DATABASE_URL") ??
  "postgres://postgres:dnsa@127.0.0.1:5432/postgres";
const BATCH = 50_000;

/** Parsed rows as columns (one entry per query, in log order). */
interface Rows {
  us: number[];
  client: Inet[];
  clientText: string[];
  port: (number | null)[];
  domain: string[];
  apex: string[];
  qtype: (string | null)[];
  flags: (string | null)[];
  qclass: (string | null)[];
  view: (string | null)[];
  tcp: boolean[];
  rd: (boolean | null)[];
  edns: (number | null)[];
  dnssecOk: boolean[];
  cd: boolean[];
  server: (Inet | null)[];
}

function emptyRows(): Rows {
  return {
    us: [],
    client: [],
    clientText: [],
    port: [],
    domain: [],
    apex: [],
    qtype: [],
    flags: [],
    qclass: [],
    view: [],
    tcp: [],
    rd: [],
    edns: [],
    dnssecOk: [],
    cd: [],
    server: [],
  };
}

/** Intern strings so that equal values share one string (as a real batch's do not need to). */
const interned = new Map<string, string>();
function intern(s: string | null): string | null {
  if (s === null) return null;
  const k = interned.get(s);
  if (k !== undefined) return k;
  interned.set(s, s);
  return s;
}

function addLine(rows: Rows, line: string): void {
  const q = parseBindLine(line);
  if (q.kind !== "query") return;
  const client = new Inet();
  if (!client.parse(q.clientIp, false)) return;
  let server: Inet | null = null;
  if (q.serverIp !== null) {
    server = new Inet();
    if (!server.parse(q.serverIp, false)) server = null;
  }
  const domain = normalizeDomain(q.qname);
  rows.us.push(q.time * 1000);
  rows.client.push(client);
  rows.clientText.push(q.clientIp);
  rows.port.push(q.clientPort);
  rows.domain.push(intern(domain)!);
  rows.apex.push(intern(apexDomain(domain))!);
  rows.qtype.push(intern(q.qtype));
  rows.flags.push(intern(q.flags));
  rows.qclass.push(intern(q.qclass));
  rows.view.push(intern(q.view));
  rows.tcp.push(q.tcp);
  rows.rd.push(q.recursionDesired);
  rows.edns.push(q.ednsVersion);
  rows.dnssecOk.push(q.dnssecOk);
  rows.cd.push(q.checkingDisabled);
  rows.server.push(server);
}

function fixtureRows(): Rows {
  const text = new TextDecoder().decode(gunzipSync(Deno.readFileSync(FIXTURE)));
  const rows = emptyRows();
  for (const line of text.split("\n")) if (line) addLine(rows, line);
  return rows;
}

function syntheticRows(n: number): Rows {
  const gen = new TrafficGenerator(20261206);
  const rows = emptyRows();
  const start = Date.UTC(2026, 10, 25);
  const step = 86_400_000 / n;
  for (let i = 0; i < n; i++) {
    const q = gen.next(Math.floor(start + i * step));
    addLine(rows, q.query);
  }
  void bindTimestamp;
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function psqlFile(url: string, command: string): Promise<void> {
  const out = await new Deno.Command("psql", {
    args: ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", command],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

function dbUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freshDb(admin: postgres.Sql, name: string): Promise<postgres.Sql> {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  return postgres(dbUrl(name), { onnotice: () => {}, max: 1 });
}

const csvField = (s: string | null) =>
  s === null ? "" : /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;

/** Seconds of psql \copy of the seed columns as CSV into a plain table. */
async function psqlCopy(admin: postgres.Sql, rows: Rows): Promise<number> {
  const sql = await freshDb(admin, "dnsa_bb_ref");
  await sql.unsafe(`create table ref_queries (queried_at timestamptz, client_ip inet,
    client_port int, domain text, apex_domain text, qtype text, flags text,
    response_rcode text, cached boolean)`);
  await sql.end();
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  const parts: string[] = [];
  for (let i = 0; i < rows.us.length; i++) {
    parts.push(
      [
        new Date(rows.us[i] / 1000).toISOString(),
        rows.clientText[i],
        rows.port[i] ?? "",
        csvField(rows.domain[i]),
        csvField(rows.apex[i]),
        rows.qtype[i] ?? "",
        csvField(rows.flags[i]),
        "",
        "",
      ].join(","),
    );
  }
  await Deno.writeTextFile(path, parts.join("\n") + "\n");
  const t0 = performance.now();
  await psqlFile(dbUrl("dnsa_bb_ref"), `\\copy ref_queries from '${path}' (format csv)`);
  const s = (performance.now() - t0) / 1000;
  await Deno.remove(path);
  return s;
}

async function relationBytes(sql: postgres.Sql, like: string): Promise<number> {
  const [r] = await sql.unsafe(
    `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as b from pg_class c
     join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'm') and c.relname like $1`,
    [like],
  );
  return Number(r.b);
}

/** (a) As today: binary COPY into dns_queries of a migrated database, in batches. */
async function writePlain(admin: postgres.Sql, rows: Rows): Promise<Result> {
  const sql = await freshDb(admin, "dnsa_bb_plain");
  await migrate(sql);
  const [{ id }] =
    await sql`insert into dns_nodes (node_name) values ('bench') returning node_id as id`;
  const days = new Set(rows.us.map((u) => Math.floor(u / 86_400_000_000)));
  for (const d of days) {
    const day = new Date(d * 86_400_000).toISOString().slice(0, 10);
    await sql`select dnsa_ensure_day_partition(${day}::date, 'UTC')`;
  }
  await sql`vacuum analyze`;
  const before = await relationBytes(sql, "dns_queries%");
  const t0 = performance.now();
  for (let from = 0; from < rows.us.length; from += BATCH) {
    const to = Math.min(rows.us.length, from + BATCH);
    const w = new BinaryCopyWriter();
    for (let i = from; i < to; i++) {
      w.fields(COPY_COLUMNS.length);
      w.time(rows.us[i]);
      w.inet(rows.client[i]);
      if (rows.port[i] === null) w.nul();
      else w.int4(rows.port[i]!);
      w.text(rows.domain[i]);
      w.text(rows.apex[i]);
      w.text(rows.qtype[i]);
      w.text(rows.flags[i]);
      w.int4(id);
      w.text(rows.qclass[i]);
      w.text(rows.view[i]);
      const known = rows.flags[i] !== null;
      w.text(known ? (rows.tcp[i] ? "tcp" : "udp") : null);
      w.bool(rows.rd[i]);
      if (rows.edns[i] === null) w.nul();
      else w.int2(rows.edns[i]!);
      w.bool(known ? rows.dnssecOk[i] : null);
      w.bool(known ? rows.cd[i] : null);
      w.nul();
      if (rows.server[i]) w.inet(rows.server[i]!);
      else w.nul();
    }
    await sql.begin((tx) => copyIn(tx, "dns_queries", COPY_COLUMNS, w.blocks()));
    w.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  await sql`vacuum analyze`;
  const bytes = (await relationBytes(sql, "dns_queries%")) - before;
  const reads = await timeReads(sql, rows, id, false);
  await sql.end();
  return { name: "rows (today)", seconds, bytes, reads };
}

/** The block table and its view (the bench's copy of the design). */
function blockDdl(compression: "lz4" | "pglz"): string {
  const c = `compression ${compression}`;
  return `
  create sequence dns_query_blocks_id;
  create table dns_query_blocks (
    block_id      bigint not null,
    node_id       integer not null,
    first_at      timestamptz not null,
    last_at       timestamptz not null,
    n             integer not null,
    clients       inet[] ${c},
    names         integer[] ${c},
    at_us         bigint[] ${c} not null,
    client_ip     inet[] ${c} not null,
    client_port   integer[] ${c},
    domain        text[] ${c},
    apex_domain   text[] ${c},
    qtype         text[] ${c},
    flags         text[] ${c},
    qclass        text[] ${c},
    view          text[] ${c},
    client_subnet inet[] ${c},
    server_ip     inet[] ${c}
  );
  create index dns_query_blocks_at on dns_query_blocks using brin (first_at);
  create index dns_query_blocks_clients on dns_query_blocks using gin (clients);
  create index dns_query_blocks_names on dns_query_blocks using gin (names);
  create view dns_queries as
  select b.first_at + u.at_us * interval '1 microsecond' as queried_at, u.client_ip,
    u.client_port, u.domain, u.apex_domain, u.qtype, u.flags, null::text as response_rcode,
    null::boolean as cached, b.node_id, u.qclass, u.view,
    case when u.flags is null then null when strpos(u.flags, 'T') > 0 then 'tcp' else 'udp' end
      as transport,
    case when u.flags is null then null else left(u.flags, 1) = '+' end as recursion_desired,
    case when strpos(u.flags, 'E') = 0 then null
      else coalesce(substring(u.flags from 'E\\((\\d+)\\)')::smallint, 0) end as edns_version,
    strpos(u.flags, 'D') > 0 as dnssec_ok, strpos(u.flags, 'C') > 0 as checking_disabled,
    u.client_subnet, u.server_ip, b.block_id, u.idx, b.first_at as block_first_at,
    b.last_at as block_last_at
  from dns_query_blocks b
  cross join lateral unnest(b.at_us, b.client_ip, b.client_port, b.domain, b.apex_domain,
    b.qtype, b.flags, b.qclass, b.view, b.client_subnet, b.server_ip) with ordinality
    as u(at_us, client_ip, client_port, domain, apex_domain, qtype, flags, qclass, view,
      client_subnet, server_ip, idx);`;
}

/** A 32-bit hash of a name (FNV-1a), the summary's key for exact names and apexes. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** (b) Blocks of up to `size` queries of one node and day, written by binary COPY. */
async function writeBlocks(
  admin: postgres.Sql,
  rows: Rows,
  size: number,
  compression: "lz4" | "pglz",
): Promise<Result> {
  const sql = await freshDb(admin, "dnsa_bb_blocks");
  await sql.unsafe(blockDdl(compression));
  await sql`vacuum analyze`;
  const before = await relationBytes(sql, "dns_query_blocks%");
  const columns = [
    "block_id",
    "node_id",
    "first_at",
    "last_at",
    "n",
    "clients",
    "names",
    "at_us",
    "client_ip",
    "client_port",
    "domain",
    "apex_domain",
    "qtype",
    "flags",
    "qclass",
    "view",
    "client_subnet",
    "server_ip",
  ];
  const t0 = performance.now();
  let blockId = 0, encoding = 0;
  for (let from = 0; from < rows.us.length; from += BATCH) {
    const to = Math.min(rows.us.length, from + BATCH);
    const e0 = performance.now();
    const w = new BinaryCopyWriter({ grow: true, blockBytes: 1 << 22 });
    // Blocks of one day each: cut at `size` rows or at a day's end.
    let s = from;
    while (s < to) {
      const day = Math.floor(rows.us[s] / 86_400_000_000);
      let e = s + 1;
      while (e < to && e - s < size && Math.floor(rows.us[e] / 86_400_000_000) === day) e++;
      let lo = rows.us[s], hi = rows.us[s];
      for (let i = s; i < e; i++) {
        if (rows.us[i] < lo) lo = rows.us[i];
        if (rows.us[i] > hi) hi = rows.us[i];
      }
      const clientSet = new Map<string, Inet>();
      const names = new Set<number>();
      const offsets: number[] = [];
      for (let i = s; i < e; i++) {
        clientSet.set(rows.clientText[i], rows.client[i]);
        names.add(nameHash(rows.domain[i]));
        names.add(nameHash(rows.apex[i]));
        offsets.push(rows.us[i] - lo);
      }
      w.fields(columns.length);
      w.int8(++blockId);
      w.int4(1);
      w.time(lo);
      w.time(hi);
      w.int4(e - s);
      inetArray(w, [...clientSet.values()]);
      w.intArray(23, [...names]);
      w.intArray(20, offsets);
      inetArray(w, rows.client, s, e);
      w.intArray(23, rows.port, s, e);
      textArray(w, rows.domain, s, e);
      textArray(w, rows.apex, s, e);
      textArray(w, rows.qtype, s, e);
      textArray(w, rows.flags, s, e);
      textArray(w, rows.qclass, s, e);
      if (rows.view.slice(s, e).every((v) => v === null)) w.nul();
      else textArray(w, rows.view, s, e);
      w.nul(); // client_subnet
      inetArray(w, rows.server, s, e);
      s = e;
    }
    const data = w.take();
    encoding += performance.now() - e0;
    await sql.begin((tx) => copyIn(tx, "dns_query_blocks", columns, [data]));
  }
  const seconds = (performance.now() - t0) / 1000;
  await sql`vacuum analyze`;
  const bytes = (await relationBytes(sql, "dns_query_blocks%")) - before;
  const reads = await timeReads(sql, rows, 1, true);
  await sql.end();
  return {
    name: `blocks B=${size} ${compression}`,
    seconds,
    bytes,
    reads,
    note: `(of which encoding in Deno ${(encoding / 1000).toFixed(2)} s)`,
  };
}

interface Result {
  name: string;
  seconds: number;
  bytes: number;
  reads: { top: number; window: number; search: number; check: string };
  note?: string;
}

/** Times (ms, best of 3) of the three reads; `check` is a digest of their answers. */
async function timeReads(sql: postgres.Sql, rows: Rows, node: number, blocks: boolean) {
  const mid = rows.us[Math.floor(rows.us.length / 2)];
  const lo = new Date(mid / 1000).toISOString();
  const hi = new Date(mid / 1000 + 300_000).toISOString();
  // The most frequent client, searched for.
  const counts = new Map<string, number>();
  for (const c of rows.clientText) counts.set(c, (counts.get(c) ?? 0) + 1);
  const client = [...counts].sort((a, b) => a[1] - b[1])[Math.floor(counts.size / 2)][0];
  const top = `select domain, count(*) from dns_queries group by 1 order by 2 desc, 1 limit 20`;
  const window = blocks
    ? `select count(*) as n, count(distinct client_ip) as c, count(distinct domain) as d
       from dns_queries where node_id = ${node} and queried_at >= '${lo}' and queried_at < '${hi}'
       and block_last_at >= '${lo}' and block_first_at < '${hi}'`
    : `select count(*) as n, count(distinct client_ip) as c, count(distinct domain) as d
       from dns_queries where node_id = ${node} and queried_at >= '${lo}' and queried_at < '${hi}'`;
  const search = blocks
    ? `select queried_at, client_ip, domain from dns_queries q
       where client_ip = '${client}' and block_id in
         (select block_id from dns_query_blocks where clients @> array['${client}'::inet])
       order by queried_at desc, domain limit 100`
    : `select queried_at, client_ip, domain from dns_queries
       where client_ip = '${client}' order by queried_at desc, domain limit 100`;
  const time = async (text: string) => {
    let best = Infinity, answer = "";
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await sql.unsafe(text);
      best = Math.min(best, performance.now() - t0);
      answer = JSON.stringify(r);
    }
    return { best, answer };
  };
  const a = await time(top), b = await time(window), c = await time(search);
  const digest = async (s: string) =>
    [...new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(s)))]
      .slice(0, 4).map((x) => x.toString(16).padStart(2, "0")).join("");
  return {
    top: a.best,
    window: b.best,
    search: c.best,
    check: `${await digest(a.answer)}/${await digest(b.answer)}/${await digest(c.answer)}`,
  };
}

async function run(label: string, rows: Rows, sizes: number[]): Promise<string[]> {
  const admin = postgres(ADMIN_URL, { onnotice: () => {}, max: 1 });
  const out: string[] = [];
  const n = rows.us.length;
  try {
    const ref = await psqlCopy(admin, rows);
    out.push(`${label}: ${n} queries; psql \\copy of the seed columns ${ref.toFixed(2)} s`);
    const results: Result[] = [await writePlain(admin, rows)];
    for (const size of sizes) {
      for (const c of ["lz4", "pglz"] as const) {
        results.push(await writeBlocks(admin, rows, size, c));
      }
    }
    for (const r of results) {
      out.push(
        `  ${r.name.padEnd(20)} ${(r.bytes / n).toFixed(1).padStart(6)} B/query  write ` +
          `${r.seconds.toFixed(2)} s ${r.note ?? ""}(ratio to \\copy ${
            (ref / r.seconds).toFixed(2)
          })  ` +
          `reads ms: top ${r.reads.top.toFixed(0)}, window ${r.reads.window.toFixed(0)}, ` +
          `search ${r.reads.search.toFixed(0)}  [answers ${r.reads.check}]`,
      );
    }
    for (const name of ["dnsa_bb_ref", "dnsa_bb_plain", "dnsa_bb_blocks"]) {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    }
  } finally {
    await admin.end();
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      synthetic: { type: "string", default: "1000000" },
      sizes: { type: "string", default: "1000,4000" },
      status: { type: "string" },
    },
  });
  const sizes = values.sizes.split(",").map(Number);
  const lines: string[] = [];
  const say = async (more: string[]) => {
    for (const l of more) console.log(l);
    lines.push(...more);
    if (values.status) await Deno.writeTextFile(values.status, lines.join("\n") + "\n");
  };
  await say(await run("fixture bind-9.18", fixtureRows(), sizes));
  const synthetic = Number(values.synthetic);
  if (synthetic > 0) {
    interned.clear();
    await say(await run(`synthetic day`, syntheticRows(synthetic), sizes));
  }
}
