/**
 * Federation on PostgreSQL: two databases stand for dns1 and dns2, each ingesting its own
 * half of the BIND 9.18 fixture (split by client, so every query-errors line stays with its
 * query); dns1 pulls dns2's statistics. Checked: the combined reports equal those of one
 * database that ingested everything, per-node totals equal each node's own, a second pull
 * moves nothing, a peer that is down (behind a cut proxy) or refuses the password is recorded
 * while the others proceed, and the next run catches up; the postgres_fdw route; two
 * ingestors writing to one database at once; reports from a read replica.
 *
 * Needs DNSA_TEST_DATABASE_URL (see pg.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { STATISTICS_TABLES } from "../../lib/rollup/rollup.ts";
import { createTestDb, type RunResult, startProxy, type TestDb, viaProxy } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;

/** The fixture's query log and query-errors log split by client into two halves. */
async function splitFixture(): Promise<{ dir: string; halves: [string[], string[]] }> {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-fed-" });
  const queries = new TextDecoder().decode(
    gunzipSync(await Deno.readFile(join(FIXTURES, "queries.log.gz"))),
  );
  const errors = await Deno.readTextFile(join(FIXTURES, "query-errors.log"));
  const half = (line: string) => {
    const m = / client @0x[0-9a-f]+ ([0-9a-fA-F.:]+)#/.exec(line);
    const last = m ? m[1].split(/[.:]/).at(-1)! : "0";
    return parseInt(last, 16) % 2;
  };
  const halves: [string[], string[]] = [[], []];
  for (const [name, text] of [["queries.log", queries], ["query-errors.log", errors]]) {
    const parts: [string[], string[]] = [[], []];
    for (const line of text.split("\n")) if (line !== "") parts[half(line)].push(line);
    for (const i of [0, 1]) {
      const path = join(dir, `h${i}`, name);
      await Deno.mkdir(join(dir, `h${i}`), { recursive: true });
      await Deno.writeTextFile(path, parts[i].join("\n") + "\n");
      halves[i].push(path);
    }
  }
  return { dir, halves };
}

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r;
}

async function report(db: TestDb, name: string, env: Record<string, string>, extra: string[] = []) {
  const r = ok(
    await db.run(["report", name, "--format", "json", "--limit", "100000", ...extra], env),
    `report ${name}`,
  );
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

/** Count and a content digest of one node's rows in every statistics table. */
async function nodeDigest(db: TestDb, node: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of STATISTICS_TABLES) {
    const [r] = await db.sql.unsafe(
      `select count(*)::text || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)),
        '') as d from (select to_jsonb(t) - 'node_name' as x from ${t} t where node_name = $1) s`,
      [node],
    );
    out[t] = r.d;
  }
  return out;
}

function withoutShare(rows: Record<string, unknown>[]) {
  return rows.map(({ share_pct: _, ...rest }) => rest);
}

Deno.test("federation: dns1 pulls dns2; combined reports equal one database of everything", async () => {
  const { dir, halves } = await splitFixture();
  const d1 = await createTestDb(), d2 = await createTestDb(), all = await createTestDb();
  const central = await createTestDb();
  try {
    const e1 = { DNSA_NODE: "dns1" }, e2 = { DNSA_NODE: "dns2" };
    ok(await d1.run(["ingest", ...halves[0]], e1), "ingest dns1");
    ok(await d2.run(["ingest", ...halves[1]], e2), "ingest dns2");
    ok(await all.run(["ingest", ...halves[0], ...halves[1]], { DNSA_NODE: "all" }), "ingest");
    ok(await d1.run(["rollup"], e1), "rollup dns1");
    ok(await d2.run(["rollup"], e2), "rollup dns2");
    const own1 = await report(d1, "node-totals", e1);
    const own2 = await report(d2, "node-totals", e2);
    assert.equal(own1.length, 1);
    assert.equal(own2.length, 1);
    assert.ok((own1[0].hit_count as number) > 1000 && (own2[0].hit_count as number) > 1000);

    const peers = { ...e1, DNSA_PEERS: `dns2=${d2.url}` };
    const first = ok(await d1.run(["federate"], peers), "federate");
    assert.equal(first.json?.failed, 0);
    assert.equal(first.json?.days, 1);
    assert.ok((first.json?.rows as number) > 1000, first.stdout);

    // The combined reports on dns1 equal those of one database that ingested everything.
    for (const name of ["top-domains", "top-clients", "top-apex-domains", "qtype-mix"]) {
      assert.deepEqual(
        await report(d1, name, e1),
        await report(all, name, { DNSA_NODE: "all" }),
        name,
      );
    }
    // Unique clients are merged, never summed: the clients of both halves are disjoint here,
    // and a domain both nodes saw counts the union.
    const [u] = await d1.sql`
      select count(distinct client_ip)::int as n from dns_daily_clients`;
    const [rates1] = await report(d1, "rcode-rates", e1, ["--limit", "1"]);
    assert.ok(rates1);
    const totals = await report(d1, "node-totals", e1);
    assert.deepEqual(
      withoutShare(totals).sort((a, b) => String(a.node_name).localeCompare(String(b.node_name))),
      withoutShare([...own1, ...own2]),
    );
    const [sum] = await d1.sql`select sum(hit_count)::bigint as h from dns_daily_totals`;
    assert.equal(
      Number(sum.h),
      (own1[0].hit_count as number) + (own2[0].hit_count as number),
    );
    const [allClients] = await all.sql`
      select count(distinct client_ip)::int as n from dns_daily_clients`;
    assert.equal(u.n, allClients.n);

    // Every statistics row of dns2 arrived as dns2 has it.
    assert.deepEqual(await nodeDigest(d1, "dns2"), await nodeDigest(d2, "dns2"));
    const [node] = await d1.sql`select federated_from from dns_nodes where node_name = 'dns2'`;
    assert.equal(node.federated_from, "dns2");

    // A second run moves nothing.
    const second = ok(await d1.run(["federate"], peers), "federate again");
    assert.equal(second.json?.days, 0);
    assert.equal(second.json?.rows, 0);

    // A rollup of dns1 by dates never clears dns2's statistics.
    const day = String(own1[0].first_day);
    ok(await d1.run(["rollup", "--from", day, "--to", day], e1), "rollup dns1 by date");
    assert.deepEqual(await nodeDigest(d1, "dns2"), await nodeDigest(d2, "dns2"));
    // dns1 itself lists only its own node for peers: dns2 pulling dns1 gets no dns2 rows back.
    const [versions] = await d1.sql`
      select array_agg(distinct node_name) as n from stats_versions`;
    assert.deepEqual(versions.n, ["dns1"]);

    // dns2 rebuilds its day: the next run pulls that day again, and only that.
    ok(await d2.run(["rollup", "--from", day, "--to", day], e2), "rollup dns2 by date");
    const third = ok(await d1.run(["federate"], peers), "federate after a rebuild");
    assert.equal(third.json?.days, 1);
    assert.deepEqual(await nodeDigest(d1, "dns2"), await nodeDigest(d2, "dns2"));
    assert.deepEqual(
      await report(d1, "top-domains", e1),
      await report(all, "top-domains", { DNSA_NODE: "all" }),
    );

    const runs = await d1.sql`
      select status, rows, detail->>'peer' as peer from job_runs where job = 'federate'
      order by id`;
    assert.deepEqual(runs.map((r) => [r.status, r.peer]), [
      ["ok", "dns2"],
      ["ok", "dns2"],
      ["ok", "dns2"],
    ]);
    const [status] = await d1.sql`select * from federation_peers where peer_name = 'dns2'`;
    assert.ok(status.last_success_at instanceof Date);
    assert.equal(status.last_error, null);
    assert.ok(Number(status.rows_pulled) > Number(first.json?.rows) - 1);

    // The central-database stage: two ingestors with their own DNSA_NODE write to one
    // database at once; after a rollup each node's totals are its half's.
    const [c1, c2] = await Promise.all([
      central.run(["ingest", ...halves[0]], e1),
      central.run(["ingest", ...halves[1]], e2),
    ]);
    ok(c1, "central ingest dns1");
    ok(c2, "central ingest dns2");
    ok(await central.run(["rollup"], e1), "central rollup");
    const centralTotals = await report(central, "node-totals", e1);
    assert.deepEqual(
      withoutShare(centralTotals).sort((a, b) =>
        String(a.node_name).localeCompare(String(b.node_name))
      ),
      withoutShare([...own1, ...own2]),
    );
    assert.deepEqual(await nodeDigest(central, "dns2"), await nodeDigest(d2, "dns2"));
  } finally {
    for (const db of [d1, d2, all, central]) await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("federation: a peer down or refusing the password is recorded; the others proceed and it catches up", async () => {
  const { dir, halves } = await splitFixture();
  const d1 = await createTestDb(), d2 = await createTestDb(), d3 = await createTestDb();
  const pg = new URL(d2.url);
  const proxy = startProxy({ hostname: pg.hostname, port: Number(pg.port || 5432) });
  try {
    const e1 = { DNSA_NODE: "dns1" };
    ok(await d2.run(["ingest", ...halves[0]], { DNSA_NODE: "dns2" }), "ingest dns2");
    ok(await d3.run(["ingest", ...halves[1]], { DNSA_NODE: "dns3" }), "ingest dns3");
    ok(await d2.run(["rollup"], { DNSA_NODE: "dns2" }), "rollup dns2");
    ok(await d3.run(["rollup"], { DNSA_NODE: "dns3" }), "rollup dns3");
    ok(await d1.run(["migrate"], e1), "migrate dns1");

    // dns3 comes from the node registry: a URL without password, the password in a
    // PGPASSFILE (never in a table).
    const u3 = new URL(d3.url);
    const password = decodeURIComponent(u3.password);
    u3.password = "";
    const pgpass = join(dir, "pgpass");
    await Deno.writeTextFile(
      pgpass,
      `${u3.hostname}:${u3.port || 5432}:${u3.pathname.slice(1)}:${u3.username}:${password}\n`,
    );
    await Deno.chmod(pgpass, 0o600);
    await d1.sql`insert into dns_nodes (node_name, peer_url) values ('dns3', ${u3.toString()})`;
    await assert.rejects(
      d1.sql`update dns_nodes set peer_url = ${d3.url} where node_name = 'dns3'`,
      (e: { code?: string }) => e.code === "23514",
      "a peer_url with a password is refused",
    );

    const secret = "Wr0ngSecret-4242";
    const bad = new URL(d2.url);
    bad.password = secret;
    const env = {
      ...e1,
      PGPASSFILE: pgpass,
      DNSA_PEERS: `dns2=${viaProxy(d2.url, proxy)},dns4=${bad.toString()}`,
    };
    proxy.cut();
    const down = await d1.run(["federate"], env);
    assert.equal(down.code, 2, down.stderr);
    assert.equal(down.json?.failed, 2);
    const byPeer = new Map(
      (down.json?.results as { peer: string; ok: boolean; days: number }[]).map((r) => [
        r.peer,
        r,
      ]),
    );
    assert.equal(byPeer.get("dns3")?.ok, true);
    assert.equal(byPeer.get("dns3")?.days, 1);
    assert.equal(byPeer.get("dns2")?.ok, false);
    assert.equal(byPeer.get("dns4")?.ok, false);
    const status = new Map(
      (await d1.sql`select * from federation_peers`).map((r) => [r.peer_name, r]),
    );
    assert.ok(status.get("dns3")!.last_success_at instanceof Date);
    assert.equal(status.get("dns2")!.last_success_at, null);
    assert.ok(status.get("dns2")!.last_attempt_at instanceof Date);
    assert.match(status.get("dns2")!.last_error, /peer "dns2"/);
    assert.match(status.get("dns4")!.last_error, /peer "dns4".*28P01|authentication/);
    const runs = await d1.sql`select status, error, detail from job_runs where job = 'federate'`;
    assert.deepEqual(runs.map((r) => r.status).sort(), ["failed", "failed", "ok"]);

    // No credential anywhere: not in output, logs, job_runs or federation_peers. (The test
    // server's own password is the word "postgres", also its user name: checked by the
    // wrong one instead.)
    const stored = JSON.stringify([...status.values()]) + JSON.stringify(runs);
    for (const text of [down.stdout, down.stderr, stored]) {
      assert.ok(!text.includes(secret), "the wrong password appears");
    }

    // The peer comes back: the next run catches up; dns3 moves nothing.
    proxy.restore();
    const back = ok(
      await d1.run(["federate"], { ...env, DNSA_PEERS: `dns2=${viaProxy(d2.url, proxy)}` }),
      "federate after the peer returned",
    );
    const again = new Map(
      (back.json?.results as { peer: string; days: number }[]).map((r) => [r.peer, r.days]),
    );
    assert.deepEqual(Object.fromEntries(again), { dns2: 1, dns3: 0 });
    const [caught] = await d1.sql`
      select last_error, last_success_at from federation_peers where peer_name = 'dns2'`;
    assert.equal(caught.last_error, null);
    assert.ok(caught.last_success_at instanceof Date);
    assert.deepEqual(await nodeDigest(d1, "dns2"), await nodeDigest(d2, "dns2"));
    assert.deepEqual(await nodeDigest(d1, "dns3"), await nodeDigest(d3, "dns3"));
  } finally {
    proxy.close();
    for (const db of [d1, d2, d3]) await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("federation: the postgres_fdw route, and reports from a read replica", async () => {
  const { dir, halves } = await splitFixture();
  const d1 = await createTestDb(), d2 = await createTestDb();
  try {
    const e1 = { DNSA_NODE: "dns1" }, e2 = { DNSA_NODE: "dns2" };
    ok(await d1.run(["ingest", ...halves[0]], e1), "ingest dns1");
    ok(await d2.run(["ingest", ...halves[1]], e2), "ingest dns2");

    // A read replica (here: dns2's database, not rolled up yet) is read as it is: the main
    // database is not even reachable, nothing is migrated or rolled up there.
    const replica = {
      ...e2,
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      DNSA_READ_DATABASE_URL: d2.url,
    };
    const [pending] = await d2.sql`select count(*)::int as n from rollup_dirty`;
    assert.ok(pending.n > 0);
    assert.deepEqual(await report(d2, "node-totals", replica), []);
    const [still] = await d2.sql`select count(*)::int as n from rollup_dirty`;
    assert.equal(still.n, pending.n, "the replica was not rolled up");
    const [noRuns] = await d2.sql`select count(*)::int as n from job_runs`;
    assert.equal(noRuns.n, 0);

    ok(await d1.run(["rollup"], e1), "rollup dns1");
    ok(await d2.run(["rollup"], e2), "rollup dns2");
    const own1 = await report(d1, "node-totals", e1);
    const own2 = await report(d2, "node-totals", e2);
    assert.deepEqual(await report(d2, "node-totals", replica), own2);

    const peers = { ...e1, DNSA_PEERS: `dns2=${d2.url}` };
    const setup = ok(await d1.run(["federate", "--setup-fdw", "dns2"], peers), "setup-fdw");
    assert.equal(setup.json?.schema, "peer_dns2");
    const viaFdw = async () =>
      await d1.sql`
        select node_name, sum(hit_count)::bigint as hits from dns_daily_totals_all
        group by 1 order by 1`;
    const expected = [
      { node_name: "dns1", hits: String(own1[0].hit_count) },
      { node_name: "dns2", hits: String(own2[0].hit_count) },
    ];
    assert.deepEqual([...await viaFdw()], expected);
    const [rows] = await d1.sql`
      select (select count(*) from dns_daily_domains_all)::int as all_rows,
        (select count(*) from peer_dns2.dns_daily_domains)::int as peer_rows,
        (select count(*) from dns_daily_domains)::int as local_rows`;
    assert.equal(rows.all_rows, rows.peer_rows + rows.local_rows);

    // Pulling as well as reading through the fdw counts nothing twice; setup runs again.
    ok(await d1.run(["federate"], peers), "federate");
    assert.deepEqual([...await viaFdw()], expected);
    ok(await d1.run(["federate", "--setup-fdw", "dns2"], peers), "setup-fdw again");
    assert.deepEqual([...await viaFdw()], expected);
  } finally {
    for (const db of [d1, d2]) await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The tables deploy/postgres-setup.sql grants dns_reader. */
async function readerTables(): Promise<string[]> {
  const text = await Deno.readTextFile(
    new URL("../../deploy/postgres-setup.sql", import.meta.url),
  );
  const list = /foreach t in array array\[([^\]]*)\]/.exec(text)![1];
  return [...list.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
}

Deno.test("federation: a read-only peer role (as dns_reader) suffices; unique clients merge, never add", async () => {
  const d1 = await createTestDb(), d2 = await createTestDb(), one = await createTestDb();
  const role = `dnsa_reader_${Math.floor(Math.random() * 1e9)}`;
  const files = [join(FIXTURES, "queries.log.gz"), join(FIXTURES, "query-errors.log")];
  try {
    // Both nodes see the same clients (the whole fixture each): merged unique clients per
    // domain are those of one node; a sum would double them.
    ok(await d1.run(["ingest", ...files], { DNSA_NODE: "dns1" }), "ingest dns1");
    ok(await d2.run(["ingest", ...files], { DNSA_NODE: "dns2" }), "ingest dns2");
    ok(await one.run(["ingest", ...files], { DNSA_NODE: "one" }), "ingest one");
    ok(await d1.run(["rollup"], { DNSA_NODE: "dns1" }), "rollup dns1");
    ok(await d2.run(["rollup"], { DNSA_NODE: "dns2" }), "rollup dns2");

    const dbName = new URL(d2.url).pathname.slice(1);
    await d2.sql.unsafe(`create role ${role} login password 'reader-pw-1'`);
    await d2.sql.unsafe(`grant connect on database ${dbName} to ${role}`);
    await d2.sql.unsafe(`revoke create on schema public from public`);
    await d2.sql.unsafe(`grant usage on schema public to ${role}`);
    for (const t of await readerTables()) {
      await d2.sql.unsafe(`grant select on public.${t} to ${role}`);
    }
    const u = new URL(d2.url);
    u.username = role;
    u.password = "reader-pw-1";
    const r = ok(
      await d1.run(["federate"], { DNSA_NODE: "dns1", DNSA_PEERS: `dns2=${u.toString()}` }),
      "federate as the reader role",
    );
    assert.equal(r.json?.days, 1);

    const combined = await report(d1, "top-domains", { DNSA_NODE: "dns1" });
    const single = await report(one, "top-domains", { DNSA_NODE: "one" });
    assert.equal(combined.length, single.length);
    const byDomain = new Map(single.map((x) => [x.domain, x]));
    for (const c of combined) {
      const s = byDomain.get(c.domain)!;
      assert.equal(c.hit_count, 2 * (s.hit_count as number), String(c.domain));
      assert.equal(c.unique_clients, s.unique_clients, String(c.domain));
      assert.equal(c.unique_clients_error_pct, 0);
    }
    const totals = await report(d1, "node-totals", { DNSA_NODE: "dns1" });
    assert.deepEqual(totals.map((t) => t.node_name), ["dns1", "dns2"]);
  } finally {
    for (const db of [d1, d2, one]) await db.drop();
    const admin = (await import("postgres")).default(
      Deno.env.get("DNSA_TEST_DATABASE_URL")!,
      { max: 1, onnotice: () => {} },
    );
    await admin.unsafe(`drop role if exists ${role}`).finally(() => admin.end());
  }
});

Deno.test("federation: an interrupted pull is completed by the next; days past retention stay out", async () => {
  const { pullPeer } = await import("../../lib/federation/pull.ts");
  const { createLogger } = await import("../../lib/log.ts");
  const dir = await Deno.makeTempDir({ prefix: "dnsa-fed-" });
  const d1 = await createTestDb(), d2 = await createTestDb(), d3 = await createTestDb();
  try {
    // Three days: each client's lines (queries and errors alike) moved to one day.
    const queries = new TextDecoder().decode(
      gunzipSync(await Deno.readFile(join(FIXTURES, "queries.log.gz"))),
    );
    const errors = await Deno.readTextFile(join(FIXTURES, "query-errors.log"));
    const files: string[] = [];
    for (const [name, text] of [["queries.log", queries], ["query-errors.log", errors]]) {
      const out = text.split("\n").filter(Boolean).map((line) => {
        const ip = / client @0x[0-9a-f]+ ([0-9a-fA-F.:]+)#/.exec(line)?.[1] ?? "0";
        const day = 23 + parseInt(ip.split(/[.:]/).at(-1)!, 16) % 3;
        return line.replace(/^25-Nov-2026/, `${day}-Nov-2026`);
      });
      // Ingest reads lines in file order; the rollup does not care.
      files.push(join(dir, name));
      await Deno.writeTextFile(files.at(-1)!, out.join("\n") + "\n");
    }
    ok(await d2.run(["ingest", ...files], { DNSA_NODE: "dns2" }), "ingest dns2");
    ok(await d2.run(["rollup"], { DNSA_NODE: "dns2" }), "rollup dns2");
    ok(await d1.run(["migrate"], { DNSA_NODE: "dns1" }), "migrate dns1");
    ok(await d3.run(["migrate"], { DNSA_NODE: "dns3" }), "migrate dns3");
    const peer = { name: "dns2", url: d2.url, source: "config" as const };
    const log = createLogger({ write: () => {} });
    const base = {
      node: "dns1",
      tz: "UTC",
      statsRetentionDays: 400,
      env: {},
      log,
      now: new Date("2026-11-26T12:00:00Z"),
    };

    const stop = new AbortController();
    const first = await pullPeer(d1.sql, peer, {
      ...base,
      signal: stop.signal,
      onDay: () => stop.abort(),
    });
    assert.equal(first.ok, true);
    assert.equal(first.days, 1);
    const [mark] = await d1.sql`select last_version::int as v from federation_peers`;
    assert.equal(String(mark.v), first.version);
    const rest = await pullPeer(d1.sql, peer, base);
    assert.equal(rest.days, 2, "the next run completes the interrupted one");
    assert.deepEqual(await nodeDigest(d1, "dns2"), await nodeDigest(d2, "dns2"));
    const none = await pullPeer(d1.sql, peer, base);
    assert.equal(none.days, 0);

    // Statistics older than this database keeps (here 1 day) are not pulled.
    const kept = await pullPeer(d3.sql, peer, { ...base, node: "dns3", statsRetentionDays: 1 });
    assert.equal(kept.days, 1);
    assert.equal(kept.unchanged, 2);
    const days = await d3.sql`select distinct stat_date::text as d from dns_daily_totals`;
    assert.deepEqual(days.map((r) => r.d), ["2026-11-25"]);
  } finally {
    for (const db of [d1, d2, d3]) await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
