import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Control,
  DNSTAP_CONTENT_TYPE,
  encodeControl,
  encodeData,
  FrameDecoder,
} from "../../lib/dnstap/fstrm.ts";
import { decodeDnstap } from "../../lib/dnstap/message.ts";
import { readNamedDnstapCounters } from "../../lib/dnstap/named_stats.ts";
import { openWriter } from "../dnstap/socket_writer.ts";
import { createTestDb, startServe, stderrOf, type TestDb } from "./pg.ts";
import {
  dnstapRead,
  freePort,
  haveNamed,
  type Mix,
  sendMix,
  startNamed,
  writeNamedConf,
} from "./named.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const truth = JSON.parse(await Deno.readTextFile(join(FIXTURES, "ground_truth.json")));

type Counted = { k: string | null; n: number };
const asMap = (rows: Counted[]) =>
  Object.fromEntries(rows.map((r) => [r.k ?? "(null)", Number(r.n)]));

/** Decompress a fixture capture into `dir`. */
async function unxz(name: string, dir: string): Promise<string> {
  const out = await new Deno.Command("xz", {
    args: ["-dc", join(FIXTURES, `${name}.xz`)],
    stdout: "piped",
  })
    .output();
  assert.ok(out.success, `xz -dc ${name}.xz`);
  const path = join(dir, name);
  await Deno.writeFile(path, out.stdout);
  return path;
}

async function rcodeCounts(db: TestDb, where = "true"): Promise<Record<string, number>> {
  return asMap(
    await db.sql.unsafe<Counted[]>(
      `select response_rcode as k, count(*)::int as n from dns_queries where ${where} group by 1`,
    ),
  );
}

/** Poll until `check` holds or `ms` passed. */
async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test("dnstap fixture files: rcodes and qtypes equal dnstap-read and the ground truth; once", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-dnstap-" });
  try {
    const files = [await unxz("dnstap-1.fstrm", dir), await unxz("dnstap-2.fstrm", dir)];
    const env = { DNSA_NODE: "dns1", DNSA_SOURCE: "dnstap" };
    const first = await db.run(["ingest", ...files], env);
    assert.equal(first.code, 0, first.stderr);
    const dt = truth.server_side_dnstap;
    assert.equal(first.json!.lines, dt.frames);
    assert.equal(first.json!.rejected, 0);

    const rc = await rcodeCounts(db);
    const responses = dt.client_response_frames;
    // Every response is a row with its rcode; the rest are queries never answered.
    assert.deepEqual(
      Object.fromEntries(Object.entries(rc).filter(([k]) => k !== "(null)")),
      dt.response_rcode,
    );
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    assert.equal(n - (rc["(null)"] ?? 0), responses);
    assert.equal(first.json!.rows, n);
    assert.equal(rc["(null)"], truth.client_side.by_rcode_seen_by_client["LOST(no response)"]);

    if (haveNamed()) {
      // The same counts as BIND's own decoder of the same files.
      const want = { rcodes: {} as Record<string, number>, qtypes: {} as Record<string, number> };
      for (const f of files) {
        const r = await dnstapRead(f);
        for (const [k, v] of Object.entries(r.rcodes)) want.rcodes[k] = (want.rcodes[k] ?? 0) + v;
        for (const [k, v] of Object.entries(r.qtypes)) want.qtypes[k] = (want.qtypes[k] ?? 0) + v;
      }
      assert.deepEqual(
        Object.fromEntries(Object.entries(rc).filter(([k]) => k !== "(null)")),
        want.rcodes,
      );
      const qt = asMap(
        await db.sql<Counted[]>`select qtype as k, count(*)::int as n from dns_queries
          where response_rcode is not null group by 1`,
      );
      assert.deepEqual(qt, want.qtypes);
    }
    const [{ waiting }] = await db.sql`select count(*)::int as waiting from dnstap_pending`;
    assert.equal(waiting, 0, "named closed both files with STOP: nothing is left waiting");

    const again = await db.run(["ingest", ...files], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json!.rows, 0);
    const [{ n2 }] = await db.sql`select count(*)::int as n2 from dns_queries`;
    assert.equal(n2, n);

    // The statistics carry the exact NXDOMAIN count.
    const roll = await db.run(["rollup"], env);
    assert.equal(roll.code, 0, roll.stderr);
    const [s] = await db.sql`select sum(nxdomain_count)::int as nx, sum(servfail_count)::int as sf,
      sum(refused_count)::int as rf, sum(noerror_count)::int as ok from dns_daily_stats`;
    assert.deepEqual(
      { nx: s.nx, sf: s.sf, rf: s.rf, ok: s.ok },
      {
        nx: dt.response_rcode.NXDOMAIN,
        sf: dt.response_rcode.SERVFAIL,
        rf: dt.response_rcode.REFUSED,
        ok: dt.response_rcode.NOERROR,
      },
    );
    // Latency percentiles: exact for one node and day, from the histogram when merged.
    const [exact] = await db.sql`select percentile_disc(array[0.5, 0.95, 0.99])
      within group (order by latency_us) as p from dns_queries where latency_us is not null`;
    const totals = await db.run(["report", "node-totals", "--format", "json"], env);
    const t = JSON.parse(totals.stdout)[0];
    assert.deepEqual([t.latency_p50_us, t.latency_p95_us, t.latency_p99_us], exact.p);
    const [merged] = await db.sql`select dnsa_hist_percentile(dnsa_hist_sum(latency_hist), 0.95)
      as p95 from dns_hourly_totals`;
    assert.ok(
      Math.abs(merged.p95 - exact.p[1]) <= 0.1 * exact.p[1],
      `histogram p95 ${merged.p95} vs exact ${exact.p[1]}`,
    );
    const rep = await db.run(["report", "top-nxdomain", "--format", "json", "--limit", "3"], env);
    assert.equal(rep.code, 0, rep.stderr);
    const top = JSON.parse(rep.stdout) as { nxdomain_count: number }[];
    assert.equal(top.length, 3);
    assert.ok(top[0].nxdomain_count >= top[1].nxdomain_count);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dnstap files: a truncated frame is pending, a wrong content type fails that file only", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-dnstap-bad-" });
  try {
    const good = await unxz("dnstap-1.fstrm", dir);
    const bytes = await Deno.readFile(good);
    // The first 100 frames, then half of the next one: named still writing.
    const d = new FrameDecoder();
    d.push(bytes);
    let end = 0;
    for (let i = 0; i < 101; i++) end = d.next()!.end;
    const partial = join(dir, "partial.fstrm");
    await Deno.writeFile(partial, bytes.subarray(0, end + 20));
    const wrong = join(dir, "wrong.fstrm");
    await Deno.writeFile(
      wrong,
      new Uint8Array([
        ...encodeControl(Control.START, ["protobuf:other.Type"]),
        ...encodeData(new Uint8Array([1, 2, 3])),
      ]),
    );
    const r = await db.run(["ingest", partial, wrong], { DNSA_NODE: "dns1" });
    assert.equal(r.code, 2, "a file could not be read");
    assert.match(r.stderr, /wrong\.fstrm.*content type.*protobuf:other\.Type/);
    assert.equal(r.json!.pending, 1);
    assert.equal(r.json!.lines, 100);
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
    const [{ w }] = await db.sql`select count(*)::int as w from dnstap_pending`;
    assert.ok(n > 0 && n + w <= 100 && n + w >= 50, `rows ${n} + waiting ${w} from 100 frames`);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A well-behaved dnstap writer: READY, ACCEPT, START, frames, STOP, FINISH. */
async function writeFrames(sock: string, frames: Uint8Array[]): Promise<void> {
  const writer = await openWriter(sock);
  await writer.send(frames);
  await writer.stop();
}

Deno.test("dnstap socket: garbage, a wrong content type and an oversized frame close that connection only", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-sock-" });
  const sock = join(dir, "tap.sock");
  const child = startServe({
    DATABASE_URL: db.url,
    DNSA_NODE: "tap",
    DNSA_LOG_TZ: "UTC",
    DNSA_SOURCE: "dnstap",
    DNSA_DNSTAP: `unix:${sock}`,
  });
  try {
    assert.ok(
      await waitFor(async () => {
        try {
          return (await Deno.lstat(sock)).isSocket === true;
        } catch {
          return false;
        }
      }, 30_000),
    );
    const send = async (bytes: Uint8Array) => {
      const c = await Deno.connect({ transport: "unix", path: sock });
      await c.write(bytes).catch(() => {});
      // The server closes a bad stream: the read ends.
      const buf = new Uint8Array(256);
      while ((await c.read(buf).catch(() => null)) !== null) { /* drain */ }
      c.close();
    };
    await send(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await send(encodeControl(Control.READY, ["protobuf:other.Type"]));
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setUint32(0, 0x7fffffff);
    await send(new Uint8Array([...encodeControl(Control.READY, [DNSTAP_CONTENT_TYPE]), ...huge]));

    // Still serving: 100 real frames from the fixture arrive and become rows.
    const tmp = await unxz("dnstap-1.fstrm", dir);
    const dec = new FrameDecoder();
    dec.push(await Deno.readFile(tmp));
    const frames: Uint8Array[] = [];
    for (let f = dec.next(); f && frames.length < 100; f = dec.next()) {
      if (f.kind === "data") frames.push(f.payload.slice());
    }
    await writeFrames(sock, frames);
    const types = frames.map((f) => decodeDnstap(f).type);
    const responses = types.filter((t) => t === 6).length;
    const queries = types.filter((t) => t === 5).length;
    assert.ok(
      await waitFor(async () => {
        const [{ n }] = await db.sql`select count(*)::int as n from dns_queries`;
        return n >= responses;
      }, 30_000),
      "the frames of the good connection were stored",
    );
    const [{ n }] = await db.sql`select count(*)::int as n from dns_queries
      where response_rcode is not null`;
    const [{ w }] = await db.sql`select count(*)::int as w from dns_queries
      where response_rcode is null`;
    assert.equal(n, responses, "one row per response");
    assert.ok(w <= queries, "at most one row per unanswered query");
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    const err = await stderrOf(child);
    await db.drop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, err);
    assert.equal((err.match(/not a valid dnstap stream/g) ?? []).length, 3, err);
  }
});

Deno.test({
  name:
    "named → socket → rows with named restarted in between; named → file → ingest = dnstap-read",
  ignore: !haveNamed(),
  fn: async () => {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-named-" });
    const sock = join(dir, "tap.sock");
    const port = freePort();
    const child = startServe({
      DATABASE_URL: db.url,
      DNSA_NODE: "dns1",
      DNSA_LOG_TZ: "UTC",
      DNSA_SOURCE: "dnstap",
      DNSA_DNSTAP: `unix:${sock}`,
    });
    try {
      assert.ok(
        await waitFor(async () => {
          try {
            return (await Deno.lstat(sock)).isSocket === true;
          } catch {
            return false;
          }
        }, 30_000),
      );
      const statsPort = freePort();
      const conf = await writeNamedConf(dir, port, `unix "${sock}"`, statsPort);
      const mix: Mix = { NOERROR: 40, NXDOMAIN: 30, SERVFAIL: 4, REFUSED: 10 };
      let named = await startNamed(conf, port);
      await sendMix(dir, port, "a", mix);
      await named.stop(); // named closes its dnstap connection (STOP) and exits
      named = await startNamed(conf, port); // and connects again
      await sendMix(dir, port, "b", mix);
      // named's own count of the frames it sent, and of those it dropped (none here). named
      // writes frames from its own thread after answering, so the count may lag the answers
      // a little: read it until it is there (bounded).
      const minFrames = 2 * (mix.NOERROR + mix.NXDOMAIN + mix.SERVFAIL);
      let counters = await readNamedDnstapCounters(`http://127.0.0.1:${statsPort}`);
      await waitFor(async () => {
        counters = await readNamedDnstapCounters(`http://127.0.0.1:${statsPort}`);
        return counters.success >= minFrames;
      }, 10_000);
      assert.ok(counters.success >= minFrames);
      assert.equal(counters.dropped, 0);
      await named.stop();
      const want: Record<string, number> = {};
      for (const [k, v] of Object.entries(mix)) want[k] = 2 * v;
      // startNamed's readiness probes (ns.test.example) are NOERROR answers too.
      const ok = await waitFor(async () => {
        const rc = await rcodeCounts(db, "domain <> 'ns.test.example'");
        return JSON.stringify(rc) === JSON.stringify({ ...rc, ...want }) &&
          Object.keys(rc).length === 4;
      }, 30_000);
      const rc = await rcodeCounts(db, "domain <> 'ns.test.example'");
      assert.ok(ok, `rows by rcode ${JSON.stringify(rc)}, sent ${JSON.stringify(want)}`);
      assert.deepEqual(rc, want);
      // No query twice, none lost: rows by rcode, name and type are what dig sent (the names of
      // NXDOMAIN and SERVFAIL are one per query). Client, port, name, type and time need not
      // be unique: named's clock is coarse (4 ms ticks here, dozens of queries each) and dig
      // takes a new ephemeral port per query, which the kernel may hand out again soon, so two
      // queries for one name share all five in about 1 run in 50. Such rows are printed.
      const sent: Record<string, number> = {};
      for (const tag of ["a", "b"]) {
        const add = (k: string) => sent[k] = (sent[k] ?? 0) + 1;
        for (let i = 0; i < mix.NOERROR; i++) {
          add(i % 2 ? "NOERROR www.test.example A" : "NOERROR test.example MX");
        }
        for (let i = 0; i < mix.NXDOMAIN; i++) add(`NXDOMAIN nx${tag}${i}.test.example A`);
        for (let i = 0; i < mix.SERVFAIL; i++) add(`SERVFAIL sf${tag}${i}.dead.example A`);
        for (let i = 0; i < mix.REFUSED; i++) add("REFUSED www.test.example A");
      }
      const byName = asMap(
        await db.sql<Counted[]>`select concat_ws(' ', response_rcode, domain, qtype) as k,
          count(*)::int as n from dns_queries where domain <> 'ns.test.example' group by 1`,
      );
      const shared = await db.sql<{ row: string }[]>`select to_jsonb(q)::text as row
        from dns_queries q where domain <> 'ns.test.example'
          and (client_ip, client_port, domain, qtype, queried_at) in (
            select client_ip, client_port, domain, qtype, queried_at from dns_queries
            where domain <> 'ns.test.example' group by 1, 2, 3, 4, 5 having count(*) > 1)
        order by queried_at, client_port, domain, qtype`;
      assert.deepEqual(
        byName,
        sent,
        "rows sharing client, port, name, type and time:\n" +
          shared.map((r) => r.row).join("\n"),
      );

      // The same mix to a dnstap file, read by `ingest` and by dnstap-read.
      const capture = join(dir, "capture.fstrm");
      const fileConf = await writeNamedConf(dir, port, `file "${capture}"`);
      const fileNamed = await startNamed(fileConf, port);
      await sendMix(dir, port, "c", mix);
      await fileNamed.stop();
      const bind = await dnstapRead(capture);
      const ing = await db.run(["ingest", "--node", "dns-file", capture]);
      assert.equal(ing.code, 0, ing.stderr);
      const got = await rcodeCounts(
        db,
        "node_id = (select node_id from dns_nodes where node_name = 'dns-file')",
      );
      delete got["(null)"];
      assert.deepEqual(got, bind.rcodes);
      assert.equal(bind.rcodes.NXDOMAIN, mix.NXDOMAIN);
      assert.equal(bind.rcodes.SERVFAIL, mix.SERVFAIL);
      assert.equal(bind.rcodes.REFUSED, mix.REFUSED);
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      const err = await stderrOf(child);
      await db.drop();
      await Deno.remove(dir, { recursive: true });
      assert.equal(status.code, 0, err);
    }
  },
});
