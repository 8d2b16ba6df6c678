/**
 * The fault-injection suite: `serve` (a subprocess) follows a query log, or listens on a
 * dnstap socket, while lines or frames arrive at a steady rate and the test does to its own
 * PostgreSQL 15 cluster what happens in production: a crash (`pg_ctl stop -m immediate`) and
 * start, read-only on and off, a full disk and space freed, statement timeouts, a missing
 * table; and kills serve itself at random points. After each fault: every line written is
 * stored exactly once (waited for until the checkpoint reaches the end), serve's process is
 * the same one (the fault never made it exit), and /metrics answered throughout and showed
 * the pause and its reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type postgres from "postgres";
import {
  Control,
  DNSTAP_CONTENT_TYPE,
  encodeControl,
  encodeData,
  FrameDecoder,
} from "../../lib/dnstap/fstrm.ts";
import { dnsWire, encodeDnstap } from "../dnstap/fixture_frames.ts";
import {
  type Cluster,
  clusterUnavailable,
  fillDisk,
  mountSmallDisk,
  startCluster,
} from "./cluster.ts";
import { startServe } from "./pg.ts";

const unavailable = await clusterUnavailable();
if (unavailable) console.error(`faults: skipped (${unavailable})`);

const DB = "faults";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every 100 ms until it is true; false after `ms`. */
async function waitFor(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await delay(100);
  }
  return false;
}

/** A running `serve`: its stderr lines, its HTTP base URL, and /metrics polled all along. */
interface Serve {
  child: Deno.ChildProcess;
  pid: number;
  log: string[];
  base: string;
  /** Reasons of pauses /metrics showed. */
  reasons: Set<string>;
  /** Scrapes that failed (no answer, or not 200). */
  scrapeFailures: string[];
  scrapes: number;
  lastScrape: string;
  exited: boolean;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

async function launch(env: Record<string, string>): Promise<Serve> {
  const child = startServe(env, { stderr: "piped" });
  const log: string[] = [];
  let url: string | null = null;
  const s: Serve = {
    child,
    pid: child.pid,
    log,
    base: "",
    reasons: new Set(),
    scrapeFailures: [],
    scrapes: 0,
    lastScrape: "",
    exited: false,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!s.exited) child.kill(signal);
      return await status;
    },
  };
  const status = child.status.then((st) => {
    s.exited = true;
    return st;
  });
  (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of child.stderr) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        log.push(line);
        if (url === null && line.includes('"http listening"')) url = JSON.parse(line).url;
      }
    }
  })().catch(() => {});
  assert.ok(
    await waitFor(() => url !== null || s.exited, 90_000),
    "serve started HTTP",
  );
  assert.ok(!s.exited, `serve exited at start:\n${log.join("\n")}`);
  s.base = url!.endsWith("/") ? url! : `${url}/`;
  (async () => {
    while (!s.exited) {
      try {
        const res = await fetch(`${s.base}metrics`, { signal: AbortSignal.timeout(5000) });
        const text = await res.text();
        s.scrapes++;
        s.lastScrape = text.split("\n").filter((l) => l.startsWith("dnsa_source")).join("\n");
        if (res.status !== 200) s.scrapeFailures.push(`HTTP ${res.status}`);
        for (
          const m of text.matchAll(/^dnsa_source_pause_reason\{[^}]*reason="([a-z_]+)"\} 1$/gm)
        ) {
          s.reasons.add(m[1]);
        }
      } catch (error) {
        if (!s.exited) s.scrapeFailures.push(String(error));
      }
      await delay(100);
    }
  })();
  return s;
}

/** Something that writes lines or frames at a steady rate, counting what it wrote. */
interface Writer {
  written: number;
  /** Stop writing (resolves when the loop stopped). */
  pause(): Promise<void>;
  resume(): void;
  close(): Promise<void>;
}

function steadily(writeSome: () => Promise<void>): Writer {
  let running = true;
  let closed = false;
  let loop: Promise<void> = Promise.resolve();
  const run = () => {
    loop = (async () => {
      await delay(0); // the caller has its writer before the first write
      while (running && !closed) {
        await writeSome();
        await delay(50);
      }
    })();
  };
  const w: Writer = {
    written: 0,
    async pause() {
      running = false;
      await loop;
    },
    resume() {
      running = true;
      run();
    },
    async close() {
      closed = true;
      await loop;
    },
  };
  run();
  return w;
}

function logTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${
      p(d.getUTCMilliseconds(), 3)
    }`;
}

/** 8 query lines every 50 ms to `path`, each with a domain of its own. */
function queryLogWriter(path: string): Writer {
  const enc = new TextEncoder();
  const w: Writer = steadily(async () => {
    let text = "";
    for (let k = 0; k < 8; k++) {
      const i = w.written + k;
      text += `${logTime(Date.now())} client @0x1 10.1.${(i >> 8) & 255}.${i & 255}#${
        1024 + (i % 60000)
      } (q${i}.example): query: q${i}.example IN A + (10.0.0.2)\n`;
    }
    await Deno.writeFile(path, enc.encode(text), { append: true });
    w.written += 8;
  });
  return w;
}

function responseFrame(i: number): Uint8Array {
  const sec = Math.floor(Date.now() / 1000);
  return encodeDnstap({
    type: 6,
    socketFamily: 1,
    socketProtocol: 1,
    queryAddress: new Uint8Array([10, 2, (i >> 8) & 255, i & 255]),
    queryPort: 1024 + (i % 60000),
    queryTimeSec: sec,
    queryTimeNsec: 0,
    responseTimeSec: sec,
    responseTimeNsec: 1000,
    responseMessage: dnsWire({
      type: "response",
      id: i % 65536,
      flags: 0x8180,
      questions: [{ name: `f${i}.example`, type: "A", class: "IN" }],
    }),
  });
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** A dnstap writer (as named is one): READY, ACCEPT, START, then 8 frames every 50 ms. */
function socketWriter(path: string): Writer & { reconnects: number; lost: number } {
  let conn: Deno.UnixConn | null = null;
  const connect = async (): Promise<Deno.UnixConn | null> => {
    try {
      const c = await Deno.connect({ transport: "unix", path });
      await c.write(encodeControl(Control.READY, [DNSTAP_CONTENT_TYPE]));
      const buf = new Uint8Array(512);
      const dec = new FrameDecoder();
      for (let f = null; !f;) {
        const n = await c.read(buf);
        if (n === null) throw new Error("closed before ACCEPT");
        dec.push(buf.slice(0, n));
        f = dec.next();
      }
      await c.write(encodeControl(Control.START, [DNSTAP_CONTENT_TYPE]));
      return c;
    } catch {
      return null;
    }
  };
  const w = Object.assign(
    steadily(async () => {
      conn ??= await connect();
      if (!conn) return; // serve is not listening (restarting): named drops, so do we
      const bytes: number[] = [];
      for (let k = 0; k < 8; k++) bytes.push(...encodeData(responseFrame(w.written + k)));
      try {
        await writeAll(conn, new Uint8Array(bytes));
        w.written += 8;
      } catch {
        try {
          conn.close();
        } catch { /* closed */ }
        conn = null;
        w.reconnects++;
      }
    }),
    { reconnects: 0, lost: 0 },
  );
  const close = w.close;
  w.close = async () => {
    await close();
    try {
      conn?.close();
    } catch { /* closed */ }
  };
  return w;
}

/** Rows stored, distinct domains among them. */
async function stored(sql: postgres.Sql): Promise<{ n: number; distinct: number }> {
  const [r] = await sql<{ n: number; d: number }[]>`
    select count(*)::int as n, count(distinct domain)::int as d from dns_queries`;
  return { n: r.n, distinct: r.d };
}

/**
 * Stop the writer, then wait (bounded) until the checkpoint reaches what was written and the
 * rows equal it; assert exactly once, the same serve process, and HTTP answering throughout.
 */
async function settled(
  sql: postgres.Sql,
  serve: Serve,
  writer: Writer,
  reachedEnd: () => Promise<boolean>,
  what: string,
): Promise<void> {
  await writer.pause();
  let last = { n: -1, distinct: -1 };
  const done = await waitFor(async () => {
    try {
      if (!(await reachedEnd())) return false;
      last = await stored(sql);
      return last.n >= writer.written;
    } catch {
      return false;
    }
  }, 90_000);
  assert.ok(done, `${what}: ${last.n} rows of ${writer.written} written\n${serve.log.join("\n")}`);
  assert.equal(last.n, writer.written, `${what}: rows = lines written`);
  assert.equal(last.distinct, last.n, `${what}: no line stored twice`);
  assert.ok(!serve.exited, `${what}: serve exited\n${serve.log.join("\n")}`);
  assert.deepEqual(serve.scrapeFailures, [], `${what}: /metrics answered throughout`);
  writer.resume();
}

/** Terminate the program's sessions (a failover does that; new sessions see new settings). */
async function dropSessions(admin: postgres.Sql): Promise<void> {
  await admin`select pg_terminate_backend(pid) from pg_stat_activity
    where datname = ${DB} and application_name like 'dns-analytics%'`;
}

async function pausedFor(serve: Serve, reasons: RegExp, what: string): Promise<void> {
  assert.ok(
    await waitFor(() => [...serve.reasons].some((r) => reasons.test(r)), 60_000),
    `${what}: /metrics showed a pause (${[...serve.reasons].join(", ")}; ${serve.scrapes} ` +
      `scrapes, failures ${serve.scrapeFailures.join(", ")})\n${serve.lastScrape}\n${
        serve.log.slice(-30).join("\n")
      }`,
  );
  serve.reasons.clear();
}

interface Faults {
  cluster: Cluster;
  admin: postgres.Sql;
  sql: postgres.Sql;
  smallDisk: string | null;
  cleanup(): Promise<void>;
}

async function setupCluster(): Promise<Faults> {
  const cluster = await startCluster();
  const admin = cluster.client();
  await admin.unsafe(`create database ${DB}`);
  const diskDir = join(cluster.dir, "small");
  const disk = await mountSmallDisk(diskDir, 48);
  let smallDisk: string | null = null;
  if (typeof disk === "string") console.error(`faults: the full-disk step is skipped (${disk})`);
  else {
    const pgDir = join(diskDir, "pg");
    await Deno.mkdir(pgDir);
    await new Deno.Command("chown", { args: ["postgres", pgDir] }).output();
    await admin.unsafe(`create tablespace small location '${pgDir}'`);
    await admin.unsafe(`alter database ${DB} set default_tablespace = small`);
    smallDisk = diskDir;
  }
  const sql = cluster.client(DB);
  return {
    cluster,
    admin,
    sql,
    smallDisk,
    async cleanup() {
      await cluster.destroy({
        beforeRemove: async () => {
          if (typeof disk !== "string") await disk.unmount();
        },
      });
    },
  };
}

/** The faults every source goes through, in order, while serve keeps running. */
async function injectFaults(
  f: Faults,
  serve: Serve,
  writer: Writer,
  reachedEnd: () => Promise<boolean>,
  t: Deno.TestContext,
): Promise<void> {
  const { cluster, admin, sql } = f;
  const pid = serve.pid;
  assert.ok(await waitFor(() => writer.written >= 100, 30_000), "lines flow");
  await settled(sql, serve, writer, reachedEnd, "before any fault");

  await t.step("pg_ctl stop -m immediate, then start", async () => {
    await delay(300);
    await cluster.crash();
    await pausedFor(serve, /connection_lost|server_restarting/, "crash");
    await cluster.start();
    await settled(sql, serve, writer, reachedEnd, "crash");
  });

  await t.step(
    "default_transaction_read_only on (sessions dropped, as in a failover), then off",
    async () => {
      await admin.unsafe(`alter database ${DB} set default_transaction_read_only = on`);
      await dropSessions(admin);
      await pausedFor(serve, /read_only/, "read-only");
      // Off again: the program's sessions still carry "on" from their start.
      await admin.unsafe(`alter database ${DB} reset default_transaction_read_only`);
      await settled(sql, serve, writer, reachedEnd, "read-only");
    },
  );

  await t.step("disk full on the tablespace, then space freed", async (s) => {
    if (!f.smallDisk) {
      console.error("faults: disk full skipped (no small filesystem could be mounted)");
      return;
    }
    const filler = await fillDisk(f.smallDisk);
    await pausedFor(serve, /disk_full/, "disk full");
    await Deno.remove(filler);
    await settled(sql, serve, writer, reachedEnd, "disk full");
    assert.ok(s);
  });

  await t.step("statement timeout while a lock holds the checkpoints", async () => {
    await admin.unsafe(`alter database ${DB} set statement_timeout = '300ms'`);
    await dropSessions(admin);
    const holder = await sql.reserve();
    try {
      await holder`begin`;
      await holder`lock table ingest_checkpoints in access exclusive mode`;
      await pausedFor(serve, /statement_timeout/, "statement timeout");
      await holder`commit`;
    } finally {
      holder.release();
    }
    await admin.unsafe(`alter database ${DB} reset statement_timeout`);
    await settled(sql, serve, writer, reachedEnd, "statement timeout");
  });

  await t.step("a table missing, then back", async () => {
    await sql`alter table ingest_checkpoints rename to ingest_checkpoints_away`;
    await pausedFor(serve, /relation_missing/, "relation missing");
    await sql`alter table ingest_checkpoints_away rename to ingest_checkpoints`;
    await settled(sql, serve, writer, reachedEnd, "relation missing");
  });

  assert.equal(serve.pid, pid, "the same serve process throughout");
  assert.ok(!serve.exited);
  assert.ok(serve.scrapes > 10, `/metrics was scraped during the faults (${serve.scrapes})`);
  const pauses = serve.log.filter((l) => l.includes("reading paused")).length;
  const resumes = serve.log.filter((l) => l.includes('"reading resumed"')).length;
  assert.ok(pauses >= 4 && resumes >= 4, `a log line per change of state (${pauses}, ${resumes})`);
}

Deno.test({
  name:
    "faults: serve following a query log pauses on every database fault and stores every line once",
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const f = await setupCluster();
    const logs = await Deno.makeTempDir({ prefix: "dnsa-faults-log-" });
    const queryLog = join(logs, "queries.log");
    await Deno.writeTextFile(queryLog, "");
    const env = {
      DATABASE_URL: f.cluster.url(DB),
      DNSA_NODE: "faults",
      DNSA_LOG_TZ: "UTC",
      DNSA_QUERY_LOG: queryLog,
      DNSA_ERROR_LOG: join(logs, "query-errors.log"),
      DNSA_POLL_MS: "200",
    };
    const reachedEnd = async () => {
      const size = (await Deno.stat(queryLog)).size;
      const [cp] = await f.sql<{ o: string | null }[]>`
        select max(byte_offset)::text as o from ingest_checkpoints`;
      return Number(cp?.o ?? 0) === size;
    };
    let serve = null as Serve | null;
    let writer = null as Writer | null;
    try {
      serve = await launch(env);
      writer = queryLogWriter(queryLog);
      await injectFaults(f, serve, writer, reachedEnd, t);
      await t.step("serve SIGKILLed at random points and started again", async () => {
        for (let round = 0; round < 3; round++) {
          await delay(100 + Math.floor(Math.random() * 1200));
          await serve!.stop("SIGKILL");
          serve = await launch(env);
          await settled(f.sql, serve, writer!, reachedEnd, `SIGKILL round ${round + 1}`);
        }
      });
    } finally {
      await writer?.close();
      const ended: Deno.CommandStatus | undefined = await serve?.stop();
      await f.cleanup();
      await Deno.remove(logs, { recursive: true });
      if (ended) assert.equal(ended.code, 0, serve!.log.join("\n"));
    }
  },
});

Deno.test({
  name:
    "faults: serve listening on a dnstap socket pauses on every database fault and stores every frame once",
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const f = await setupCluster();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-faults-tap-" });
    const sock = join(dir, "tap.sock");
    const env = {
      DATABASE_URL: f.cluster.url(DB),
      DNSA_NODE: "faults",
      DNSA_LOG_TZ: "UTC",
      DNSA_SOURCE: "dnstap",
      DNSA_DNSTAP: `unix:${sock}`,
    };
    let serve = null as Serve | null;
    const writer = socketWriter(sock);
    await writer.pause();
    const reachedEnd = async () => {
      const [cp] = await f.sql<{ o: string | null }[]>`
        select max(byte_offset)::text as o from ingest_checkpoints`;
      return Number(cp?.o ?? 0) >= writer.written;
    };
    try {
      serve = await launch(env);
      writer.resume();
      await injectFaults(f, serve, writer, reachedEnd, t);
      await t.step("serve SIGKILLed while named writes: the stale socket is replaced", async () => {
        for (let round = 0; round < 2; round++) {
          await delay(100 + Math.floor(Math.random() * 1200));
          await writer.pause();
          // Frames read but not committed when a process is killed are lost (a socket has no
          // replay): kill between commits, with nothing in flight, then the count is exact.
          const before = writer.written;
          await waitFor(async () => (await stored(f.sql)).n >= before, 30_000);
          await serve!.stop("SIGKILL");
          writer.resume();
          serve = await launch(env);
          await settled(f.sql, serve, writer, reachedEnd, `SIGKILL round ${round + 1}`);
        }
        assert.ok((writer as { reconnects: number }).reconnects >= 1, "the writer reconnected");
      });
      await t.step("serve SIGKILLed while frames flow: none is stored twice", async () => {
        await delay(300 + Math.floor(Math.random() * 700));
        await serve!.stop("SIGKILL");
        serve = await launch(env);
        const mark = writer.written;
        await delay(500);
        await writer.pause();
        const rows = await f.sql<{ domain: string }[]>`select domain from dns_queries`;
        const got = new Set(rows.map((r) => r.domain));
        assert.equal(got.size, rows.length, "no frame stored twice");
        assert.ok(rows.length <= writer.written);
        assert.ok(
          await waitFor(async () => {
            const r = await f.sql<{ n: number }[]>`
              select count(*)::int as n from dns_queries
              where split_part(substr(domain, 2), '.', 1)::int >= ${mark}`;
            return r[0].n === writer.written - mark;
          }, 60_000),
          "every frame written after the restart was stored",
        );
        writer.resume();
      });
    } finally {
      await writer.close();
      const ended: Deno.CommandStatus | undefined = await serve?.stop();
      await f.cleanup();
      await Deno.remove(dir, { recursive: true });
      if (ended) assert.equal(ended.code, 0, serve!.log.join("\n"));
    }
  },
});
