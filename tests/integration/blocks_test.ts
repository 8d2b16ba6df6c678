import assert from "node:assert/strict";
import { join } from "node:path";
import { BinaryCopyWriter } from "../../lib/db/binary_copy.ts";
import { boolArray, inetArray, textArray } from "../../lib/db/binary_copy_arrays.ts";
import { copyIn } from "../../lib/db/copy.ts";
import { Inet } from "../../lib/ingest/address.ts";
import { CLIENT_BUCKETS, clientBucket, nameHash } from "../../lib/ingest/block_sink.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import { createTestDb } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const QUERIES = join(FIXTURES, "queries.log.gz");
const ERRORS = join(FIXTURES, "query-errors.log");
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));

/** Bytes of every table, index and TOAST table of the public schema. */
async function databaseBytes(sql: Awaited<ReturnType<typeof createTestDb>>["sql"]) {
  const [r] = await sql`
    select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as b
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'm')`;
  return Number(r.b);
}

/** Bytes of each table of the public schema, its partitions, indexes and TOAST included. */
async function tableBytes(sql: Awaited<ReturnType<typeof createTestDb>>["sql"]) {
  const rows = await sql`
    with recursive part(oid, root) as (
      select c.oid, c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'm', 'p') and not c.relispartition
      union all
      select i.inhrelid, p.root from pg_inherits i join part p on p.oid = i.inhparent
    )
    select r.relname as t, sum(pg_total_relation_size(p.oid))::bigint as b
    from part p join pg_class r on r.oid = p.root group by 1`;
  return new Map(rows.map((r) => [r.t as string, Number(r.b)]));
}

Deno.test("blocks: the fixture grows the database by at most 72 bytes per query, and the seed's SQL answers as on a plain table", async () => {
  const db = await createTestDb();
  try {
    const migrated = await db.run(["migrate"]);
    assert.equal(migrated.code, 0, migrated.stderr);
    await db.sql`vacuum analyze`;
    const before = await databaseBytes(db.sql);
    const tablesBefore = await tableBytes(db.sql);
    const r = await db.run(["ingest", QUERIES, ERRORS]);
    assert.equal(r.code, 0, r.stderr);
    await db.sql`vacuum analyze`;
    const rows = truth.expected_queries_log_lines;
    const [{ n, blocks }] = await db.sql`
      select count(*)::int as n, count(distinct block_id)::int as blocks from dns_queries`;
    assert.equal(n, rows);
    assert.ok(blocks < rows / 100, `${blocks} blocks hold the ${rows} queries`);
    const growth = (await databaseBytes(db.sql)) - before;
    const parts = [...await tableBytes(db.sql)]
      .map(([t, b]) => [t, (b - (tablesBefore.get(t) ?? 0)) / rows] as const)
      .filter(([, b]) => b >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([t, b]) => `${t} ${b.toFixed(1)}`);
    console.log(`growth per query: ${(growth / rows).toFixed(1)} bytes (${parts.join(", ")})`);
    assert.ok(growth / rows <= 72, `${(growth / rows).toFixed(1)} bytes per query`);

    // The seed's SQL on the view and on a plain table of the same rows.
    await db.sql`create table plain_queries as select * from dns_queries`;
    const seedSql = (t: string) =>
      `select domain, count(*)::int as n from ${t} group by 1 order by 2 desc, 1`;
    const viaView = await db.sql.unsafe(seedSql("dns_queries"));
    const viaTable = await db.sql.unsafe(seedSql("plain_queries"));
    assert.equal(
      viaView.length,
      truth.queries_log_derived.distinct_qnames_lowercased_no_trailing_dot,
    );
    assert.deepEqual([...viaView], [...viaTable]);
    const rcodes = (t: string) =>
      `select coalesce(response_rcode, '-') as k, coalesce(error_reason, '-') as r,
         coalesce(rcode_source, '-') as s, count(*)::int as n from ${t} group by 1, 2, 3
       order by 1, 2, 3`;
    assert.deepEqual([...await db.sql.unsafe(rcodes("dns_queries"))], [
      ...await db.sql.unsafe(rcodes("plain_queries")),
    ]);
    const joined = await db.sql`select count(*)::int as n from dns_query_outcomes`;
    assert.ok(joined[0].n > 0, "query-errors lines joined to queries in blocks");
  } finally {
    await db.drop();
  }
});

Deno.test("blocks: every block's names hold the hash of each of its apex domains", async () => {
  const db = await createTestDb();
  try {
    const r = await db.run(["ingest", QUERIES]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ["example.com", "café.example.co.ug", "a\\.b.example.com", ""]) {
      const [h] = await db.sql`select dnsa_name_hash(${name}) as h`;
      assert.equal(h.h, nameHash(new TextEncoder().encode(name)), name);
    }
    const [missing] = await db.sql`
      select count(*)::int as n from dns_query_blocks b
      cross join lateral unnest(b.apex_domain) as d
      where d is not null and not (b.names @> array[dnsa_name_hash(d)])`;
    assert.equal(missing.n, 0);
    const [clients] = await db.sql`
      select count(*)::int as n from dns_query_blocks b
      cross join lateral unnest(b.client_ip) as c
      where not (b.clients @> array[c])`;
    assert.equal(clients.n, 0);
  } finally {
    await db.drop();
  }
});

Deno.test("binary COPY arrays: text, integers, booleans and addresses with NULLs round-trip", async () => {
  const db = await createTestDb();
  try {
    await db.sql`create table arrays (t text[], i2 smallint[], i4 integer[], i8 bigint[],
      b boolean[], a inet[], e text[])`;
    const v4 = new Inet(), v6 = new Inet();
    assert.ok(v4.parse("192.0.2.7", false) && v6.parse("2001:db8::1", false));
    const w = new BinaryCopyWriter({ grow: true });
    w.fields(7);
    textArray(w, ["a", null, "café", ""]);
    w.intArray(21, [1, null, -32768]);
    w.intArray(23, [2147483647, null, 0]);
    w.intArray(20, [2 ** 53 - 1, null, -5]);
    boolArray(w, [true, null, false]);
    inetArray(w, [v4, null, v6]);
    textArray(w, []);
    await db.sql.begin((tx) =>
      copyIn(tx, "arrays", ["t", "i2", "i4", "i8", "b", "a", "e"], [w.take()])
    );
    const [r] = await db.sql`select t::text as t, t[2] is null as null_text, i2::text as i2,
      i4::text as i4, i8::text as i8, b::text as b, a::text as a, a[2] is null as null_inet,
      cardinality(e) as e from arrays`;
    assert.equal(r.t, '{a,NULL,café,""}');
    assert.equal(r.null_text, true);
    assert.equal(r.i2, "{1,NULL,-32768}");
    assert.equal(r.i4, "{2147483647,NULL,0}");
    assert.equal(r.i8, `{${2 ** 53 - 1},NULL,-5}`);
    assert.equal(r.b, "{t,NULL,f}");
    assert.equal(r.a, "{192.0.2.7,NULL,2001:db8::1}");
    assert.equal(r.null_inet, true);
    assert.equal(r.e, 0);
  } finally {
    await db.drop();
  }
});

/** The client buckets of each block's clients, as the ingest hashes them. */
async function ingestBuckets(sql: Awaited<ReturnType<typeof createTestDb>>["sql"]) {
  const rows = await sql`select block_id, array(select host(c) from unnest(clients) c) as c
    from dns_query_blocks`;
  return rows.map((r) =>
    new Set(
      (r.c as string[]).map((s) => {
        const a = new Inet();
        assert.ok(a.parse(s, false), s);
        return clientBucket(a);
      }),
    ).size
  );
}

Deno.test("blocks: blocks of small batches are merged (dnsa_compact_blocks) by client bucket, the queries unchanged", async () => {
  const db = await createTestDb();
  try {
    const r = await db.run(["ingest", "--batch-rows", "1000", QUERIES, ERRORS]);
    assert.equal(r.code, 0, r.stderr);
    const summary = async () => [
      ...await db.sql`
        select domain, qtype, coalesce(response_rcode, '-') as rcode,
          coalesce(error_reason, '-') as reason, coalesce(rcode_source, '-') as source,
          host(client_ip) as ip, client_port as port, queried_at::text as at
        from dns_queries order by at, ip, port, domain, qtype, rcode, reason, source`,
    ];
    const before = await summary();
    // The ingest's blocks each hold the clients of one bucket (lib/ingest/block_sink.ts).
    const ingested = await ingestBuckets(db.sql);
    assert.ok(ingested.length > 4 && ingested.every((n) => n === 1), `${ingested}`);
    const [small] = await db.sql`select count(*)::int as n from dns_query_blocks where n < 4000`;
    assert.ok(small.n > 2, `${small.n} blocks not full`);
    const [{ taken }] = await db.sql`
      select dnsa_compact_blocks(4000, now() + interval '1 day')::int as taken`;
    assert.equal(taken, small.n);
    const [after] = await db.sql`
      select count(*) filter (where n < 4000)::int as small, coalesce(sum(n), 0)::int as n
      from dns_query_blocks`;
    assert.equal(after.n, truth.expected_queries_log_lines);
    // At most one block not full per bucket of each round of 16,000 rows (migration 0037).
    const bound = Math.ceil(after.n / 16000) * CLIENT_BUCKETS;
    assert.ok(after.small <= bound, `${after.small} blocks not full are left (${bound})`);
    assert.ok(after.small < small.n, `${after.small} of ${small.n} blocks not full`);
    assert.deepEqual(await summary(), before);
    // Packed again by PostgreSQL's hash of the address (migration 0037): one bucket a block,
    // and the fixture's clients in more than one bucket.
    const [packed] = await db.sql`
      select count(*) filter (where k > 1)::int as mixed, count(distinct b0)::int as buckets
      from (select (select count(distinct hashinet(c) & 3) from unnest(clients) c) as k,
              (select min(hashinet(c) & 3) from unnest(clients) c) as b0
            from dns_query_blocks) s`;
    assert.equal(packed.mixed, 0);
    assert.ok(packed.buckets > 1, `${packed.buckets} bucket`);
    // Blocks whose spans overlap (as sql/search/stream_rows.sql groups them) hold at most a
    // round: 16,000 rows and the others of its last instant.
    const [groups] = await db.sql`
      with s as (
        select n, first_at as lo, last_at as hi,
          case when first_at > max(last_at) over (order by first_at, last_at
            rows between unbounded preceding and 1 preceding) then 1 else 0 end as starts
        from dns_query_blocks),
      g as (select n, sum(starts) over (order by lo, hi rows unbounded preceding) as g from s)
      select count(distinct g)::int as groups, max(rows)::int as rows,
        (select max(c)::int from (select count(*) as c from dns_queries group by queried_at) t)
          as ties
      from (select g, sum(n) over (partition by g) as rows from g) x`;
    assert.ok(groups.groups >= truth.expected_queries_log_lines / 16000, `${groups.groups}`);
    assert.ok(groups.rows <= 16000 + groups.ties, `${groups.rows} rows overlap`);
  } finally {
    await db.drop();
  }
});

Deno.test("blocks: transport, RD, EDNS version, DO and CD are read from the flags as the parser reads them", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-flags-" });
  try {
    // Every flag of BIND's grammar alone and together, with and without an EDNS version, in
    // the fast path's form (server address) and the general parser's (no server address).
    const extras = ["", "S", "T", "D", "C", "V", "K", "TD", "DC", "STDCK", "TDCV"];
    const edns = ["", "E", "E(0)", "E(1)", "E(255)"];
    const flags: string[] = [];
    for (const rd of ["+", "-"]) {
      for (const e of edns) for (const x of extras) flags.push(rd + e + x, rd + x + e);
    }
    const lines: string[] = [];
    flags.forEach((f, i) => {
      const t = `07-Dec-2026 10:00:${String(i % 60).padStart(2, "0")}.${
        String(i).padStart(3, "0")
      }`;
      const head = `${t} client @0x7f0000000001 10.0.0.${i % 250}#${1000 + i}`;
      lines.push(`${head} (f${i}.example): query: f${i}.example IN A ${f} (10.0.0.53)`);
      lines.push(`${head} (g${i}.example): query: g${i}.example IN AAAA ${f}`);
    });
    const t0 = "07-Dec-2026 10:01:00.000 client @0x7f0000000001 10.0.0.1#999";
    lines.push(`${t0} (noflags.example): query: noflags.example IN A`);
    const log = join(dir, "flags.log");
    await Deno.writeTextFile(log, lines.join("\n") + "\n");
    const r = await db.run(["ingest", log], { DNSA_LOG_TZ: "UTC" });
    assert.equal(r.code, 0, r.stderr);
    const [{ stored }] = await db.sql`
      select count(*) filter (where transport is not null)::int as stored from dns_query_blocks`;
    assert.equal(stored, 0, "the query-log ingest leaves the five arrays to the flags");
    const got = await db.sql<
      {
        domain: string;
        flags: string | null;
        transport: string | null;
        recursion_desired: boolean | null;
        edns_version: number | null;
        dnssec_ok: boolean | null;
        checking_disabled: boolean | null;
      }[]
    >`select domain, flags, transport, recursion_desired, edns_version, dnssec_ok,
        checking_disabled from dns_queries`;
    assert.equal(got.length, lines.length);
    const byName = new Map(got.map((g) => [g.domain, g]));
    for (const line of lines) {
      const p = parseBindLine(line);
      assert.equal(p.kind, "query", line);
      if (p.kind !== "query") continue;
      const known = p.flags !== null;
      assert.deepEqual(byName.get(p.qname), {
        domain: p.qname,
        flags: p.flags,
        transport: known ? (p.tcp ? "tcp" : "udp") : null,
        recursion_desired: p.recursionDesired,
        edns_version: p.ednsVersion,
        dnssec_ok: known ? p.dnssecOk : null,
        checking_disabled: known ? p.checkingDisabled : null,
      }, line);
    }
    // The search reads them the same way: a page, the keyed page of one client, the CSV stream.
    const want = got.filter((g) => g.transport === "tcp").length;
    const page = await db.run(["report", "queries", "--transport", "tcp", "--format", "json"]);
    assert.equal(page.code, 0, page.stderr);
    const rows = JSON.parse(page.stdout) as { domain: string; transport: string }[];
    assert.equal(rows.length, Math.min(want, 100)); // a page's default limit
    assert.ok(rows.every((row) => row.transport === "tcp"));
    const csv = await db.run([
      "report",
      "queries",
      "--transport",
      "tcp",
      "--limit",
      "1000000",
      "--format",
      "csv",
    ]);
    assert.equal(csv.stdout.trim().split("\n").length - 1, want);
    const one = await db.run([
      "report",
      "queries",
      "--client",
      "10.0.0.7",
      "--limit",
      "1000",
      "--format",
      "json",
    ]);
    for (const row of JSON.parse(one.stdout) as Record<string, unknown>[]) {
      const g = byName.get(row.domain as string)!;
      for (const c of ["transport", "recursion_desired", "dnssec_ok", "checking_disabled"]) {
        assert.equal(row[c], g[c as keyof typeof g], `${c} of ${row.domain}`);
      }
      assert.equal(row.edns_version, g.edns_version, `edns_version of ${row.domain}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await db.drop();
  }
});

Deno.test("blocks: migrations 0036 and 0037 set lz4 on the day partitions that exist, not only on the partitioned table", async () => {
  const db = await createTestDb();
  try {
    const r = await db.run(["ingest", QUERIES], { DNSA_LOG_TZ: "UTC" });
    assert.equal(r.code, 0, r.stderr);
    const methods = async () =>
      await db.sql<{ method: string; n: number }[]>`
        select a.attcompression::text as method, count(*)::int as n
        from pg_inherits i join pg_attribute a on a.attrelid = i.inhrelid
        where i.inhparent = 'dns_query_blocks'::regclass and a.attname = 'qtype'
        group by 1`;
    // Day partitions made before 0036 kept the methods they were made with: as if so here.
    await db.sql.unsafe(`do $$ declare t regclass; begin
      for t in select inhrelid::regclass from pg_inherits
               where inhparent = 'dns_query_blocks'::regclass loop
        execute format('alter table %s alter column qtype set compression pglz, '
          'alter column at_us set compression pglz', t);
      end loop; end $$`);
    const [{ parts }] = await db.sql`
      select count(*)::int as parts from pg_inherits
      where inhparent = 'dns_query_blocks'::regclass`;
    assert.ok(parts >= 1);
    assert.deepEqual([...await methods()], [{ method: "p", n: parts }]);
    await db.sql.unsafe(
      await Deno.readTextFile(new URL("../../sql/migrations/0036_block_lz4.sql", import.meta.url)),
    );
    assert.deepEqual([...await methods()], [{ method: "l", n: parts }]);
    const atUs = async () =>
      (await db.sql`
        select string_agg(distinct a.attcompression::text, ',') as at from pg_inherits i
        join pg_attribute a on a.attrelid = i.inhrelid
        where i.inhparent = 'dns_query_blocks'::regclass and a.attname = 'at_us'`)[0].at;
    assert.equal(await atUs(), "p", "0036 leaves at_us");
    await db.sql.unsafe(
      await Deno.readTextFile(
        new URL("../../sql/migrations/0037_client_buckets.sql", import.meta.url),
      ),
    );
    assert.equal(await atUs(), "l", "0037 sets lz4 on at_us");
  } finally {
    await db.drop();
  }
});
