/**
 * DnstapAssembler: every frame of the real fixtures into a columns Batch, checked against
 * ground truth and against rows worked out in the test itself (its own join of queries and
 * responses, values from dns-packet and protobufjs); synthetic frames for the cross-batch
 * join, responses without a question, skipped and malformed frames.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { decodeDnstap } from "../../lib/dnstap/message.ts";
import { DnstapAssembler, type FrameOutcome } from "../../lib/dnstap/rows.ts";
import { Batch } from "../../lib/ingest/batch.ts";
import { type ColumnSink, DNSTAP_COLUMNS } from "../../lib/ingest/row_sink.ts";
import { createZoneClock } from "../../lib/time.ts";
import {
  bindTypeOfPacket,
  dnsDecode,
  dnstapTruth,
  dnsWire,
  encodeDnstap,
  FIXTURE_DIR,
  fixtureBytes,
  FIXTURES,
  hex,
  NO_XZ,
  type RawMessage,
  rawMessage,
  splitFrames,
  tally,
} from "./fixture_frames.ts";

const truth = await dnstapTruth();
const FAR_FUTURE = new Date("9999-12-31T00:00:00Z");

type Row = Record<string, string | null>;

function newBatch(startOffset = 0): Batch {
  return new Batch({ path: "test.fstrm", fingerprint: "f0", startOffset }, {
    format: "columns",
    dnstap: true,
  });
}

/** The rows of a columns batch, as objects keyed by column name. */
function sinkRows(batch: Batch): Row[] {
  const columns = (batch.sink as ColumnSink).columns;
  assert.equal(columns.length, DNSTAP_COLUMNS.length);
  const n = columns[0].length;
  for (const c of columns) assert.equal(c.length, n, "all columns have the same length");
  return Array.from({ length: n }, (_, i) => valuesRow(columns.map((c) => c[i])));
}

function valuesRow(values: (string | null)[]): Row {
  assert.equal(values.length, DNSTAP_COLUMNS.length);
  return Object.fromEntries(DNSTAP_COLUMNS.map((c, i) => [c, values[i]]));
}

// ---------------------------------------------------------------------------------------------
// Expected rows, worked out here.

function ipText(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

function isoUs(sec: number, nsec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19) + "." +
    String(nsec).padStart(9, "0").slice(0, 6) + "Z";
}

const us = (sec: number, nsec: number) => sec * 1_000_000 + Math.floor(nsec / 1000);

interface Side {
  raw: RawMessage;
  // deno-lint-ignore no-explicit-any
  p: any;
  wire: Uint8Array;
}

/** The row the contract describes: query fields from `q`, outcome from the response `r`. */
function expectedRow(
  q: Side,
  r: Side | null,
  latency: number | null,
  atSec: number,
  atNsec: number,
) {
  const p = q.p;
  // deno-lint-ignore no-explicit-any
  const opt = p.additionals.find((a: any) => a.type === "OPT");
  // deno-lint-ignore no-explicit-any
  const ecs = opt?.options.find((o: any) => o.code === 8);
  const tcp = q.raw.socketProtocol === 2;
  const question = p.questions[0];
  const flags = (p.flag_rd ? "+" : "-") + (opt ? `E(${opt.ednsVersion})` : "") +
    (tcp ? "T" : "") + (opt?.flag_do ? "D" : "") + (p.flag_cd ? "C" : "") +
    // deno-lint-ignore no-explicit-any
    (opt?.options.some((o: any) => o.code === 10) ? "K" : "");
  let rcode: string | null = null;
  if (r) {
    // deno-lint-ignore no-explicit-any
    const ropt = r.p.additionals.find((a: any) => a.type === "OPT");
    assert.equal(ropt?.extendedRcode ?? 0, 0, "no extended rcodes in the fixtures");
    rcode = r.p.rcode;
  }
  return {
    queried_at: isoUs(atSec, atNsec),
    client_ip: ipText(q.raw.queryAddress!),
    client_port: String(q.raw.queryPort),
    domain: question ? question.name.replace(/[A-Z]/g, (c: string) => c.toLowerCase()) : null,
    qtype: question ? bindTypeOfPacket(question.type) : null,
    flags,
    node_id: "1",
    qclass: question ? question.class : null,
    view: null,
    transport: tcp ? "tcp" : "udp",
    recursion_desired: p.flag_rd ? "t" : "f",
    edns_version: opt ? String(opt.ednsVersion) : null,
    dnssec_ok: opt?.flag_do ? "t" : "f",
    checking_disabled: p.flag_cd ? "t" : "f",
    client_subnet: ecs ? `${ecs.ip}/${ecs.sourcePrefixLength}` : null,
    server_ip: ipText(q.raw.responseAddress!),
    response_rcode: rcode,
    rcode_source: r ? "dnstap" : null,
    latency_us: latency === null ? null : String(latency),
    response_size: r ? String(r.wire.length) : null,
    // dns-packet's own reading of the response header, in dig's order and words.
    response_flags: r
      ? (["qr", "aa", "tc", "rd", "ra", "ad", "cd"] as const)
        .filter((f) => r.p[`flag_${f}`]).join(" ")
      : null,
    answer_count: r ? String(r.p.answers.length) : null,
  };
}

/** The rows, waiting keys and answered count of a whole fixture, by the test's own join. */
async function expectFixture(name: typeof FIXTURES[number]) {
  const pending = new Map<string, Side>();
  const rows: ReturnType<typeof expectedRow>[] = [];
  let orphans = 0, responses = 0;
  const responseQtypes: Record<string, number> = {};
  for (const f of splitFrames(await fixtureBytes(name))) {
    if (f.control) continue;
    const raw = rawMessage(f.payload);
    const wire = raw.type === 5 ? raw.queryMessage! : raw.responseMessage!;
    const side: Side = { raw, p: dnsDecode(wire), wire };
    const key = `${hex(raw.queryAddress!)}/${raw.queryPort}/${raw.socketProtocol}/${side.p.id}`;
    if (raw.type === 5) {
      const earlier = pending.get(key);
      if (earlier) {
        rows.push(
          expectedRow(earlier, null, null, earlier.raw.queryTimeSec!, earlier.raw.queryTimeNsec!),
        );
      }
      pending.set(key, side);
      continue;
    }
    assert.equal(raw.type, 6);
    responses++;
    tally(responseQtypes, side.p.questions[0] ? bindTypeOfPacket(side.p.questions[0].type) : "-");
    const q = pending.get(key);
    const rUs = us(raw.responseTimeSec!, raw.responseTimeNsec!);
    if (q) {
      pending.delete(key);
      const qUs = us(q.raw.queryTimeSec!, q.raw.queryTimeNsec!);
      rows.push(expectedRow(q, side, rUs - qUs, q.raw.queryTimeSec!, q.raw.queryTimeNsec!));
    } else {
      orphans++;
      // BIND's CLIENT_RESPONSE frames carry no query time: no latency, the response's time.
      assert.equal(raw.queryTimeSec, undefined);
      rows.push(expectedRow(side, side, null, raw.responseTimeSec!, raw.responseTimeNsec!));
    }
  }
  return { rows, waiting: [...pending.values()], orphans, responses, responseQtypes };
}

/** Run every frame of a fixture through an assembler into one batch, sealed far ahead. */
async function assembleFixture(name: typeof FIXTURES[number]) {
  const assembler = new DnstapAssembler({ nodeId: 1, clock: createZoneClock("UTC") });
  const batch = newBatch();
  const outcomes: Record<string, number> = {};
  for (const f of splitFrames(await fixtureBytes(name))) {
    if (f.control) continue;
    tally(outcomes, assembler.add(decodeDnstap(f.payload), batch));
  }
  assembler.seal(batch, FAR_FUTURE);
  return { batch, outcomes, assembler };
}

/** A row without its apex (tldts' business, not checked here), as a sortable string. */
function rowKey(r: Record<string, string | null>): string {
  const { apex_domain: _apex, ...rest } = r;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
}

function multiset(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Differences between two multisets, for a readable failure. */
function diff(got: Map<string, number>, want: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of want) {
    if ((got.get(k) ?? 0) < n) out.push(`missing ${n - (got.get(k) ?? 0)}× ${k}`);
  }
  for (const [k, n] of got) {
    if ((want.get(k) ?? 0) < n) out.push(`extra ${n - (want.get(k) ?? 0)}× ${k}`);
  }
  return out.slice(0, 5);
}

const BIND_FLAGS = /^[+-](E\(\d+\))?T?D?C?K?$/;

for (const name of FIXTURES) {
  Deno.test(
    `rows: ${name} through DnstapAssembler into a columns batch`,
    { ignore: NO_XZ },
    async () => {
      const want = truth.per_file[name];
      const { batch, outcomes } = await assembleFixture(name);
      const exp = await expectFixture(name);
      const rows = sinkRows(batch);

      // Frame outcomes: every response a row, every query waits first.
      assert.deepEqual(outcomes, {
        row: want.by_message_type.CLIENT_RESPONSE,
        waiting: want.by_message_type.CLIENT_QUERY,
      });
      assert.equal(batch.counts.rows, rows.length);

      // Rows per rcode = dnstap-read's response rcodes; rows with an rcode = responses.
      const byRcode: Record<string, number> = {};
      for (const r of rows) if (r.response_rcode !== null) tally(byRcode, r.response_rcode);
      assert.deepEqual(byRcode, want.response_rcode);
      const withRcode = rows.filter((r) => r.response_rcode !== null).length;
      assert.equal(withRcode, exp.responses);
      assert.equal(withRcode, want.by_message_type.CLIENT_RESPONSE);
      assert.equal(
        rows.length - withRcode,
        exp.rows.filter((r) => r.response_rcode === null).length,
        "queries superseded by a repeat of their key",
      );

      // Unanswered queries wait; responses whose query is not in memory are listed.
      assert.ok(batch.dnstap);
      assert.equal(batch.dnstap.waiting.length, exp.waiting.length);
      assert.equal(batch.dnstap.answered.length, exp.orphans);
      assert.equal(batch.dnstap.expireBefore.getTime(), FAR_FUTURE.getTime());
      if (name === "dnstap-2.fstrm") {
        assert.equal(exp.waiting.length, 304, "README: 304 responses dropped by RRL in phase 2");
      }

      // Response rows per qtype = dns-packet's reading of the response frames.
      const byQtype: Record<string, number> = {};
      for (const r of rows) if (r.response_rcode !== null) tally(byQtype, r.qtype ?? "-");
      assert.deepEqual(byQtype, exp.responseQtypes);

      for (const r of rows) {
        assert.match(r.flags!, BIND_FLAGS);
        assert.equal(r.flags!.includes("T"), r.transport === "tcp", `T flag: ${r.flags}`);
        if (r.latency_us !== null) assert.ok(Number(r.latency_us) >= 0, r.latency_us);
        if (r.response_rcode !== null) {
          assert.equal(r.rcode_source, "dnstap");
          assert.ok(Number(r.response_size) >= 12);
        }
        assert.equal(r.node_id, "1");
        assert.equal(r.view, null);
        if (r.domain !== null) assert.ok(r.apex_domain !== null && r.apex_domain !== "");
      }
      // Joined rows have a latency (named answers within seconds).
      const joined = rows.filter((r) => r.latency_us !== null);
      assert.equal(joined.length, exp.responses - exp.orphans);
      assert.ok(joined.every((r) => Number(r.latency_us) < 30_000_000));

      // Every row, value by value (apex aside), against the test's own join.
      const got = multiset(rows.map(rowKey));
      const wantRows = multiset(exp.rows.map(rowKey));
      assert.deepEqual(diff(got, wantRows), []);
      assert.equal(rows.length, exp.rows.length);

      // Waiting queries: rows without rcode, values as the query says.
      const waitingGot = multiset(batch.dnstap.waiting.map((w) => rowKey(valuesRow(w.values))));
      const waitingWant = multiset(
        exp.waiting.map((q) =>
          rowKey(expectedRow(q, null, null, q.raw.queryTimeSec!, q.raw.queryTimeNsec!))
        ),
      );
      assert.deepEqual(diff(waitingGot, waitingWant), []);
      for (const w of batch.dnstap.waiting) {
        assert.equal(w.atUs, Date.parse(w.values[0]!) * 1000 + Number(w.values[0]!.slice(23, 26)));
      }
      assert.ok(batch.days.has(Math.floor(Date.UTC(2026, 10, 25) / 86_400_000)));
    },
  );
}

Deno.test(
  "rows: query-side rows carry the flags BIND logged for the same query",
  { ignore: NO_XZ },
  async () => {
    // IP#port class type flags of every queries.log line, as a multiset.
    const log = new TextDecoder().decode(
      gunzipSync(await Deno.readFile(new URL("queries.log.gz", FIXTURE_DIR))),
    );
    const re = / (\S+)#(\d+) \(.*\): (?:view \S+: )?query: \S+ (\S+) (\S+) (\S+) \(/;
    const logged = new Map<string, number>();
    for (const line of log.split("\n")) {
      const m = re.exec(line);
      if (!m) continue;
      const key = `${m[1]}#${m[2]} ${m[3]} ${m[4]} ${m[5]}`;
      logged.set(key, (logged.get(key) ?? 0) + 1);
    }
    let checked = 0;
    for (const name of FIXTURES) {
      const { batch } = await assembleFixture(name);
      const rows = [
        ...sinkRows(batch).filter((r) => r.latency_us !== null), // joined to their query
        ...batch.dnstap!.waiting.map((w) => valuesRow(w.values)),
      ];
      for (const r of rows) {
        const key = `${r.client_ip}#${r.client_port} ${r.qclass} ${r.qtype} ${r.flags}`;
        const left = logged.get(key) ?? 0;
        assert.ok(left > 0, `${name}: no queries.log line for ${key}`);
        logged.set(key, left - 1);
        checked++;
      }
    }
    assert.equal(checked, truth.by_message_type.CLIENT_QUERY);
  },
);

// ---------------------------------------------------------------------------------------------
// Synthetic frames.

const T0 = 1_795_639_400; // 2026-11-25T20:43:20Z
const CLIENT = new Uint8Array([192, 0, 2, 7]);
const SERVER = new Uint8Array([192, 0, 2, 53]);

function query(
  id: number,
  opts: { name?: string; port?: number; proto?: number; sec?: number; nsec?: number } = {},
) {
  return decodeDnstap(encodeDnstap({
    type: 5,
    socketFamily: 1,
    socketProtocol: opts.proto ?? 1,
    queryAddress: CLIENT,
    queryPort: opts.port ?? 40000,
    responseAddress: SERVER,
    responsePort: 53,
    queryTimeSec: opts.sec ?? T0,
    queryTimeNsec: opts.nsec ?? 0,
    queryMessage: dnsWire({
      type: "query",
      id,
      flags: 0x0100,
      questions: [{ name: opts.name ?? "www.Example.com", type: "AAAA" }],
      additionals: [{ name: ".", type: "OPT", udpPayloadSize: 1232 }],
    }),
  }));
}

function response(
  id: number,
  opts: {
    port?: number;
    proto?: number;
    sec?: number;
    nsec?: number;
    rcode?: number;
    questions?: unknown[];
    querySec?: number;
  } = {},
) {
  const msg: RawMessage = {
    type: 6,
    socketFamily: 1,
    socketProtocol: opts.proto ?? 1,
    queryAddress: CLIENT,
    queryPort: opts.port ?? 40000,
    responseAddress: SERVER,
    responsePort: 53,
    responseTimeSec: opts.sec ?? T0,
    responseTimeNsec: opts.nsec ?? 5_000_000,
    responseMessage: dnsWire({
      type: "response",
      id,
      flags: 0x8180 | (opts.rcode ?? 0),
      questions: opts.questions ?? [{ name: "www.Example.com", type: "AAAA" }],
    }),
  };
  if (opts.querySec !== undefined) {
    msg.queryTimeSec = opts.querySec;
    msg.queryTimeNsec = 0;
  }
  return decodeDnstap(encodeDnstap(msg));
}

const newAssembler = () => new DnstapAssembler({ nodeId: 1, clock: createZoneClock("UTC") });

Deno.test("rows: a query and its response in one batch make one row with the latency", () => {
  const a = newAssembler();
  const b = newBatch();
  assert.equal(a.add(query(77, { nsec: 100_000_000 }), b), "waiting");
  assert.equal(sinkRows(b).length, 0, "no row before the response");
  const resp = response(77, { nsec: 101_234_567, rcode: 3 });
  assert.equal(a.add(resp, b), "row");
  a.seal(b, FAR_FUTURE);
  const rows = sinkRows(b);
  assert.equal(rows.length, 1);
  const r = rows[0];
  assert.equal(r.queried_at, "2026-11-25T20:43:20.100000Z");
  assert.equal(r.client_ip, "192.0.2.7");
  assert.equal(r.client_port, "40000");
  assert.equal(r.domain, "www.example.com");
  assert.equal(r.apex_domain, "example.com");
  assert.equal(r.qtype, "AAAA");
  assert.equal(r.qclass, "IN");
  assert.equal(r.flags, "+E(0)");
  assert.equal(r.server_ip, "192.0.2.53");
  assert.equal(r.response_rcode, "NXDOMAIN");
  assert.equal(r.latency_us, "1234");
  assert.equal(r.response_size, String(resp.responseMessage!.length));
  assert.deepEqual(b.dnstap?.waiting, []);
  assert.deepEqual(b.dnstap?.answered, []);
});

Deno.test("rows: a response in a later batch than its query", () => {
  const a = newAssembler();
  const first = newBatch(0);
  assert.equal(a.add(query(4242, { sec: T0 }), first), "waiting");
  a.seal(first, FAR_FUTURE);
  assert.equal(sinkRows(first).length, 0);
  assert.equal(first.counts.rows, 0);
  assert.equal(first.dnstap?.waiting.length, 1);
  const waiting = first.dnstap!.waiting[0];
  const wrow = valuesRow(waiting.values);
  assert.equal(wrow.response_rcode, null);
  assert.equal(wrow.latency_us, null);
  assert.equal(wrow.domain, "www.example.com");
  assert.equal(waiting.atUs, T0 * 1_000_000);
  assert.ok(first.days.has(Math.floor(T0 / 86_400)), "the waiting query's day is a batch day");

  const second = newBatch(100);
  assert.equal(a.add(response(4242, { sec: T0 + 2 }), second), "row");
  a.seal(second, FAR_FUTURE);
  assert.deepEqual(second.dnstap?.answered, [waiting.key], "the same key as the waiting query");
  assert.deepEqual(second.dnstap?.waiting, [], "nothing waits twice");
  const rows = sinkRows(second);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].response_rcode, "NOERROR");
  assert.equal(rows[0].client_port, "40000");
  assert.equal(rows[0].qtype, "AAAA");

  // A third batch starts clean.
  const third = newBatch(200);
  a.seal(third);
  assert.deepEqual([third.dnstap?.waiting, third.dnstap?.answered], [[], []]);
  // Default expiry: 60 s before the latest frame (the response at T0 + 2 s + 5 ms).
  assert.equal(third.dnstap?.expireBefore.getTime(), (T0 + 2) * 1000 + 5 - 60_000);
});

Deno.test("rows: a response without a question gives domain and qtype NULL", () => {
  const a = newAssembler();
  const b = newBatch();
  assert.equal(a.add(response(9, { questions: [], rcode: 1 }), b), "row");
  a.seal(b, FAR_FUTURE);
  const [r] = sinkRows(b);
  assert.deepEqual(
    [r.domain, r.apex_domain, r.qtype, r.qclass, r.response_rcode],
    [null, null, null, null, "FORMERR"],
  );
  assert.equal(b.dnstap?.answered.length, 1);
});

Deno.test("rows: a response whose frame carries the query time gets that latency", () => {
  const a = newAssembler();
  const b = newBatch();
  assert.equal(a.add(response(10, { querySec: T0 - 1, sec: T0, nsec: 250_000 }), b), "row");
  a.seal(b, FAR_FUTURE);
  const [r] = sinkRows(b);
  assert.equal(r.latency_us, "1000250");
  assert.equal(r.queried_at, "2026-11-25T20:43:19.000000Z");
});

Deno.test("rows: RESOLVER_QUERY and other non-client frames are skipped", () => {
  const a = newAssembler();
  const b = newBatch();
  const wire = dnsWire({ type: "query", id: 1, questions: [{ name: "a.example", type: "A" }] });
  for (const type of [1, 2, 3, 4, 7, 8, 13]) {
    const rec = decodeDnstap(encodeDnstap({
      type,
      socketProtocol: 1,
      queryAddress: CLIENT,
      queryPort: 1234,
      queryTimeSec: T0,
      queryMessage: wire,
      responseMessage: wire,
    }));
    const outcome: FrameOutcome = a.add(rec, b);
    assert.equal(outcome, "skipped", `type ${type}`);
  }
  a.seal(b, FAR_FUTURE);
  assert.equal(sinkRows(b).length, 0);
  assert.deepEqual([b.dnstap?.waiting, b.dnstap?.answered], [[], []]);
});

Deno.test("rows: malformed client frames", () => {
  const a = newAssembler();
  const b = newBatch();
  const base = {
    socketProtocol: 1,
    queryAddress: CLIENT,
    queryPort: 1234,
    queryTimeSec: T0,
  };
  const wire = dnsWire({ type: "query", id: 1, questions: [{ name: "a.example", type: "A" }] });
  const cases: [string, RawMessage][] = [
    ["short message", { type: 5, ...base, queryMessage: new Uint8Array(5) }],
    ["no message", { type: 5, ...base }],
    ["response without its message", { type: 6, ...base, queryMessage: wire }],
    ["no client address", { type: 5, ...base, queryAddress: undefined, queryMessage: wire }],
    ["no time", { type: 5, ...base, queryTimeSec: undefined, queryMessage: wire }],
  ];
  for (const [what, m] of cases) {
    assert.equal(a.add(decodeDnstap(encodeDnstap(m)), b), "malformed", what);
  }
  a.seal(b, FAR_FUTURE);
  assert.equal(sinkRows(b).length, 0);
  assert.equal(b.dnstap?.waiting.length, 0);
});

Deno.test("rows: the join key is client address, port, transport and DNS id", () => {
  const a = newAssembler();
  const b = newBatch();
  a.add(query(1, { port: 1000 }), b);
  a.add(query(1, { port: 1001 }), b);
  a.add(query(1, { port: 1000, proto: 2 }), b);
  a.add(query(2, { port: 1000 }), b);
  // Each response finds exactly its own query.
  assert.equal(a.add(response(1, { port: 1001, rcode: 2 }), b), "row");
  assert.equal(a.add(response(1, { port: 1000, proto: 2, rcode: 5 }), b), "row");
  // Same port and id but another transport: no query of its own.
  assert.equal(a.add(response(2, { port: 1000, proto: 2, rcode: 3 }), b), "row");
  a.seal(b, FAR_FUTURE);
  const rows = sinkRows(b);
  assert.deepEqual(
    rows.map((r) => [r.client_port, r.transport, r.response_rcode, r.latency_us !== null]),
    [["1001", "udp", "SERVFAIL", true], ["1000", "tcp", "REFUSED", true], [
      "1000",
      "tcp",
      "NXDOMAIN",
      false,
    ]],
  );
  assert.equal(rows[1].flags, "+E(0)T");
  assert.equal(b.dnstap?.answered.length, 1);
  assert.equal(b.dnstap?.waiting.length, 2, "udp:1000 ids 1 and 2 still wait");
});

Deno.test("rows: a repeated query before any answer leaves the earlier one unanswered", () => {
  const a = newAssembler();
  const b = newBatch();
  assert.equal(a.add(query(5, { nsec: 1_000_000 }), b), "waiting");
  assert.equal(a.add(query(5, { nsec: 9_000_000 }), b), "waiting");
  const rows = sinkRows(b);
  assert.equal(rows.length, 1, "the first query became a row of its own");
  assert.deepEqual([rows[0].response_rcode, rows[0].queried_at], [
    null,
    "2026-11-25T20:43:20.001000Z",
  ]);
  assert.equal(a.add(response(5, { nsec: 10_000_000 }), b), "row");
  const after = sinkRows(b);
  assert.equal(after.length, 2);
  assert.deepEqual([after[1].queried_at, after[1].latency_us], [
    "2026-11-25T20:43:20.009000Z",
    "1000",
  ]);
});

Deno.test("rows: frames read again after a reset expire queries by their own clock", () => {
  const a = newAssembler();
  // Read ahead: a query, then frames two minutes on (a later batch, not committed).
  const first = newBatch(0);
  assert.equal(a.add(query(31, { sec: T0 }), first), "waiting");
  a.seal(first);
  const ahead = newBatch(100);
  a.add(response(99, { sec: T0 + 120 }), ahead);
  a.seal(ahead);
  // Neither committed: both are read again from the checkpoint.
  a.reset();
  const again = newBatch(0);
  assert.equal(a.add(query(31, { sec: T0 }), again), "waiting");
  a.seal(again);
  // Expiry goes by the frames of this reading (the query's own time), not the two minutes
  // read ahead before: the query waits for its response instead of becoming a row now.
  assert.equal(again.dnstap?.expireBefore.getTime(), T0 * 1000 - 60_000);
  assert.equal(again.dnstap?.waiting.length, 1);
});

Deno.test("rows: EDNS details of the query end up in flags and columns", () => {
  const a = newAssembler();
  const b = newBatch();
  const rec = decodeDnstap(encodeDnstap({
    type: 5,
    socketProtocol: 2,
    queryAddress: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]),
    queryPort: 5353,
    responseAddress: new Uint8Array([...new Array(15).fill(0), 1]),
    queryTimeSec: T0,
    queryTimeNsec: 0,
    queryMessage: dnsWire({
      type: "query",
      id: 3,
      flags: 0x0010, // CD, no RD
      questions: [{ name: "A.Example.CO.UG", type: "MX" }],
      additionals: [{
        name: ".",
        type: "OPT",
        udpPayloadSize: 4096,
        flags: 0x8000,
        options: [{
          code: "CLIENT_SUBNET",
          family: 1,
          sourcePrefixLength: 24,
          ip: "41.210.128.0",
        }],
      }],
    }),
  }));
  assert.equal(a.add(rec, b), "waiting");
  a.seal(b, FAR_FUTURE);
  const r = valuesRow(b.dnstap!.waiting[0].values);
  assert.equal(r.flags, "-E(0)TDC");
  assert.deepEqual(
    [r.client_ip, r.server_ip, r.recursion_desired, r.edns_version, r.dnssec_ok],
    ["2001:db8::1", "::1", "f", "0", "t"],
  );
  assert.deepEqual([r.checking_disabled, r.client_subnet, r.domain, r.qtype], [
    "t",
    "41.210.128.0/24",
    "a.example.co.ug",
    "MX",
  ]);
});
