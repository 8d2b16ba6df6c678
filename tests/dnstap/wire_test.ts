/**
 * parseDnsMessage against dns-packet on every frame of the real BIND 9.18 dnstap fixtures,
 * against BIND's own query log (presentation of names, type and class mnemonics), and on
 * hand-built messages (escapes, compression, loops, truncation, EDNS options); addressText.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { gunzipSync } from "node:zlib";
import {
  addressText,
  className,
  type DnsSummary,
  parseDnsMessage,
  rcodeName,
  typeName,
} from "../../lib/dnstap/wire.ts";
import {
  bindTypeOfPacket,
  dnsDecode,
  dnstapTruth,
  dnsWire,
  FIXTURE_DIR,
  fixtureBytes,
  FIXTURES,
  NO_XZ,
  packetClassNumber,
  packetRcodeNumber,
  packetTypeNumber,
  type RawMessage,
  rawMessage,
  splitFrames,
  tally,
} from "./fixture_frames.ts";

const truth = await dnstapTruth();

interface FixtureMessage {
  raw: RawMessage;
  wire: Uint8Array;
}

async function messages(name: typeof FIXTURES[number]): Promise<FixtureMessage[]> {
  const out: FixtureMessage[] = [];
  for (const f of splitFrames(await fixtureBytes(name))) {
    if (f.control) continue;
    const raw = rawMessage(f.payload);
    const wire = raw.type === 5 ? raw.queryMessage : raw.responseMessage;
    assert.ok(wire && wire.length > 0, `frame at ${f.start} has its message`);
    out.push({ raw, wire });
  }
  return out;
}

const PLAIN_NAME = /^(\.|[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*)$/;

// deno-lint-ignore no-explicit-any
function checkAgainstDnsPacket(m: DnsSummary, p: any, where: string): void {
  assert.equal(m.id, p.id, `${where}: id`);
  assert.deepEqual(
    [m.qr, m.aa, m.tc, m.rd, m.ra, m.ad, m.cd],
    [p.flag_qr, p.flag_aa, p.flag_tc, p.flag_rd, p.flag_ra, p.flag_ad, p.flag_cd],
    `${where}: flags qr aa tc rd ra ad cd`,
  );
  assert.deepEqual(
    [m.qdcount, m.ancount, m.nscount, m.arcount],
    [p.questions.length, p.answers.length, p.authorities.length, p.additionals.length],
    `${where}: section counts`,
  );
  // deno-lint-ignore no-explicit-any
  const opts = p.additionals.filter((a: any) => a.type === "OPT");
  assert.ok(opts.length <= 1, `${where}: at most one OPT`);
  const opt = opts[0];
  const rcode = packetRcodeNumber(p.rcode) | ((opt?.extendedRcode ?? 0) << 4);
  assert.equal(m.rcode, rcode, `${where}: rcode`);
  if (rcode <= 10) assert.equal(rcodeName(m.rcode), p.rcode, `${where}: rcode name`);

  if (p.questions.length === 0) {
    assert.deepEqual([m.qname, m.qtype, m.qclass], [null, null, null], `${where}: no question`);
  } else {
    const q = p.questions[0];
    assert.ok(m.qname !== null, `${where}: qname`);
    if (PLAIN_NAME.test(q.name)) {
      assert.equal(m.qname, q.name, `${where}: qname`);
      assert.equal(m.qname.toLowerCase(), q.name.toLowerCase());
    } else {
      assert.match(m.qname, /\\/, `${where}: a name needing escapes is escaped (${q.name})`);
    }
    assert.equal(m.qtype, packetTypeNumber(q.type), `${where}: qtype`);
    assert.equal(typeName(m.qtype!), bindTypeOfPacket(q.type), `${where}: qtype name`);
    assert.equal(m.qclass, packetClassNumber(q.class), `${where}: qclass`);
  }

  if (!opt) {
    assert.deepEqual(
      [m.edns, m.dnssecOk, m.cookie, m.ecs],
      [-1, false, false, null],
      `${where}: no EDNS`,
    );
    return;
  }
  assert.equal(m.edns, opt.ednsVersion, `${where}: EDNS version`);
  assert.equal(m.dnssecOk, opt.flag_do, `${where}: DO`);
  assert.equal(m.udpSize, opt.udpPayloadSize, `${where}: UDP size`);
  // deno-lint-ignore no-explicit-any
  assert.equal(m.cookie, opt.options.some((o: any) => o.code === 10), `${where}: cookie`);
  // deno-lint-ignore no-explicit-any
  const ecs = opt.options.find((o: any) => o.code === 8);
  if (!ecs) assert.equal(m.ecs, null, `${where}: no ECS`);
  else {
    const ip = ecs.family === 2 ? new URL(`http://[${ecs.ip}]/`).hostname.slice(1, -1) : ecs.ip;
    assert.equal(m.ecs, `${ip}/${ecs.sourcePrefixLength}`, `${where}: ECS`);
  }
}

for (const name of FIXTURES) {
  Deno.test(`wire: every frame of ${name} agrees with dns-packet`, { ignore: NO_XZ }, async () => {
    const want = truth.per_file[name];
    const rcodes: Record<string, number> = {};
    const qtypes: Record<string, number> = {};
    let tc = 0, n = 0, escaped = 0, ecs = 0, cookies = 0, withOpt = 0;
    for (const { raw, wire } of await messages(name)) {
      const m = parseDnsMessage(wire);
      const where = `${name} frame ${n++} (type ${raw.type})`;
      assert.ok(m, `${where}: parsed`);
      checkAgainstDnsPacket(m, dnsDecode(wire), where);
      assert.equal(m.qr, raw.type === 6, `${where}: QR matches the dnstap type`);
      if (m.qname?.includes("\\")) escaped++;
      if (m.ecs) ecs++;
      if (m.cookie) cookies++;
      if (m.edns >= 0) withOpt++;
      if (raw.type === 6) {
        tally(rcodes, rcodeName(m.rcode));
        if (m.tc) tc++;
      } else tally(qtypes, typeName(m.qtype!));
    }
    assert.equal(n, want.frames);
    // Counts decoded by dnstap-read (BIND's own tool).
    assert.deepEqual(rcodes, want.response_rcode);
    assert.deepEqual(qtypes, want.query_qtype);
    assert.equal(tc, want.response_tc);
    // The fixture exercises what the comparison is meant to cover.
    assert.ok(withOpt > 0 && cookies > 0, "EDNS and cookies present");
    if (name === "dnstap-1.fstrm") {
      assert.ok(escaped >= 10, `escaped names in phase 1 (${escaped})`);
      assert.ok(ecs >= 2000, `ECS in phase 1 (${ecs})`);
    }
  });
}

Deno.test("wire: query names, types and classes are spelt as BIND's own query log spells them", {
  ignore: NO_XZ,
}, async () => {
  // IP#port qname class type of every queries.log line, as a multiset.
  const log = new TextDecoder().decode(
    gunzipSync(await Deno.readFile(new URL("queries.log.gz", FIXTURE_DIR))),
  );
  const lineRe = / (\S+)#(\d+) \(.*\): (?:view \S+: )?query: (\S+) (\S+) (\S+) /;
  const logged = new Map<string, number>();
  for (const line of log.split("\n")) {
    if (line === "") continue;
    const m = lineRe.exec(line);
    assert.ok(m, `log line parsed: ${line}`);
    const key = `${m[1]}#${m[2]} ${m[3]} ${m[4]} ${m[5]}`;
    logged.set(key, (logged.get(key) ?? 0) + 1);
  }
  let checked = 0, escaped = 0;
  for (const name of FIXTURES) {
    for (const { raw, wire } of await messages(name)) {
      if (raw.type !== 5) continue;
      const m = parseDnsMessage(wire)!;
      const key = `${addressText(raw.queryAddress!)}#${raw.queryPort} ${m.qname} ` +
        `${className(m.qclass!)} ${typeName(m.qtype!)}`;
      const left = logged.get(key) ?? 0;
      assert.ok(left > 0, `query frame not in queries.log: ${key}`);
      logged.set(key, left - 1);
      checked++;
      if (m.qname!.includes("\\")) escaped++;
    }
  }
  assert.equal(checked, truth.by_message_type.CLIENT_QUERY);
  assert.ok(escaped >= 5, "the escaped dig names were checked");
});

// ---------------------------------------------------------------------------------------------
// Hand-built messages.

function header(
  id: number,
  flags: number,
  qd: number,
  an: number,
  ns: number,
  ar: number,
): number[] {
  return [id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, qd, 0, an, 0, ns, 0, ar];
}

function labels(...ls: (string | number[])[]): number[] {
  const out: number[] = [];
  for (const l of ls) {
    const bytes = typeof l === "string" ? [...new TextEncoder().encode(l)] : l;
    out.push(bytes.length, ...bytes);
  }
  return out;
}

const A_IN = [0, 1, 0, 1];
/** An OPT record: root name, type 41, UDP size, ext rcode, version, flags, options. */
function opt(udp: number, ext: number, version: number, flags: number, rdata: number[] = []) {
  return [
    0,
    0,
    41,
    udp >> 8,
    udp & 0xff,
    ext,
    version,
    flags >> 8,
    flags & 0xff,
    rdata.length >> 8,
    rdata.length & 0xff,
    ...rdata,
  ];
}

Deno.test("wire: the root name is '.'", () => {
  const wire = dnsWire({
    type: "query",
    id: 7,
    flags: 0x100,
    questions: [{ name: ".", type: "NS" }],
  });
  const m = parseDnsMessage(wire);
  assert.ok(m);
  assert.equal(m.qname, ".");
  assert.equal(m.qtype, 2);
  assert.equal(m.qclass, 1);
  assert.equal(dnsDecode(wire).questions[0].name, ".", "dns-packet agrees");
});

Deno.test("wire: special and non-printable bytes are escaped as BIND does", () => {
  const wire = new Uint8Array([
    ...header(1, 0x0100, 1, 0, 0, 0),
    ...labels(
      "a.b", // dot inside a label
      "x@y(z)", // @ ( )
      'q"s;t$u\\v', // " ; $ backslash
      [0x7f, 0x80, 0xff, 0x20, 0x00, 0x41], // DEL, high bytes, space, NUL, 'A'
      "_srv-*", // printable, not special
    ),
    0,
    ...A_IN,
  ]);
  const m = parseDnsMessage(wire);
  assert.ok(m);
  assert.equal(
    m.qname,
    String.raw`a\.b.x\@y\(z\).q\"s\;t\$u\\v.\127\128\255\032\000A._srv-*`,
  );
  assert.equal(m.qtype, 1);
});

Deno.test("wire: compression pointers in the question are followed and skipped", () => {
  // Question 1 "www" + pointer to offset 4 (qdcount's high byte: 0 → end of name).
  const toHeader = new Uint8Array([
    ...header(2, 0x0100, 1, 0, 0, 0),
    ...labels("www"),
    0xc0,
    4,
    ...A_IN,
  ]);
  assert.equal(parseDnsMessage(toHeader)?.qname, "www");
  assert.equal(dnsDecode(toHeader).questions[0].name, "www", "dns-packet agrees");

  // Two questions, the second "mail" + pointer to "example.com" of the first; then an answer
  // whose owner is a pointer to the first question, then OPT: all must be found.
  const first = [...labels("www", "example", "com"), 0, ...A_IN];
  const second = [...labels("mail"), 0xc0, 12 + 4, ...A_IN];
  const answer = [0xc0, 12, ...A_IN, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
  const wire = new Uint8Array([
    ...header(3, 0x8180, 2, 1, 0, 1),
    ...first,
    ...second,
    ...answer,
    ...opt(1232, 0, 0, 0x8000),
  ]);
  const m = parseDnsMessage(wire);
  assert.ok(m);
  assert.equal(m.qname, "www.example.com");
  assert.deepEqual([m.qdcount, m.ancount, m.arcount], [2, 1, 1]);
  assert.deepEqual([m.edns, m.dnssecOk, m.udpSize], [0, true, 1232], "OPT found after pointers");
  const p = dnsDecode(wire);
  assert.equal(p.questions[1].name, "mail.example.com", "dns-packet reads the same message");
  assert.equal(p.answers[0].name, "www.example.com");
});

Deno.test("wire: a pointer loop returns (null or partial) instead of hanging", () => {
  // The question name points at itself.
  const self = new Uint8Array([...header(4, 0x0100, 1, 0, 0, 0), 0xc0, 12, ...A_IN]);
  assert.equal(parseDnsMessage(self), null);
  // Two names pointing at each other: "a" → ptr(19) ; at 19: "b" → ptr(12).
  const pair = new Uint8Array([
    ...header(5, 0x0100, 1, 0, 0, 0),
    1,
    0x61,
    0xc0,
    16,
    1,
    0x62,
    0xc0,
    12,
    ...A_IN,
  ]);
  assert.equal(parseDnsMessage(pair), null);
  // A good question, then an answer whose owner loops: the question is kept.
  const answerLoop = new Uint8Array([
    ...header(6, 0x8180, 1, 1, 0, 0),
    ...labels("ok"),
    0,
    ...A_IN,
    0xc0,
    20,
    ...A_IN,
    0,
    0,
    0,
    60,
    0,
    4,
    1,
    2,
    3,
    4,
  ]);
  const m = parseDnsMessage(answerLoop);
  assert.ok(m, "partial result");
  assert.equal(m.qname, "ok");
  assert.equal(m.edns, -1);
});

Deno.test("wire: truncated or malformed header and question", () => {
  const wire = dnsWire({
    type: "query",
    id: 9,
    flags: 0x100,
    questions: [{ name: "example.com", type: "A" }],
  });
  for (let n = 0; n < 12; n++) assert.equal(parseDnsMessage(wire.subarray(0, n)), null, `${n}`);
  // The header alone with qdcount 1: the question is missing.
  assert.equal(parseDnsMessage(wire.subarray(0, 12)), null);
  // Cut inside the question name or its type/class.
  for (let n = 13; n < wire.length; n++) {
    assert.equal(parseDnsMessage(wire.subarray(0, n)), null, `cut at ${n}`);
  }
  assert.equal(parseDnsMessage(wire)?.qname, "example.com");
  // A header with no question at all is a message.
  const bare = parseDnsMessage(new Uint8Array(header(10, 0x8180, 0, 0, 0, 0)));
  assert.ok(bare);
  assert.deepEqual([bare.id, bare.qr, bare.qname, bare.qtype, bare.qclass], [
    10,
    true,
    null,
    null,
    null,
  ]);
  // Label bytes 0x40/0x80 (reserved label types) are malformed.
  const bad = new Uint8Array([...header(11, 0x100, 1, 0, 0, 0), 0x41, 0x61, 0, ...A_IN]);
  assert.equal(parseDnsMessage(bad), null);
});

Deno.test("wire: a message truncated in the answers keeps header and question", () => {
  const wire = dnsWire({
    type: "response",
    id: 0x1234,
    flags: 0x8180 | 3,
    questions: [{ name: "www.Example.org", type: "AAAA" }],
    answers: [
      { name: "www.Example.org", type: "AAAA", ttl: 60, data: "2001:db8::1" },
      { name: "www.Example.org", type: "AAAA", ttl: 60, data: "2001:db8::2" },
    ],
    additionals: [{ name: ".", type: "OPT", udpPayloadSize: 1232, flags: 0x8000 }],
  });
  const full = parseDnsMessage(wire);
  assert.ok(full);
  assert.equal(full.edns, 0);
  const cut = wire.subarray(0, wire.length - 11 - 20); // OPT and part of the 2nd answer gone
  const m = parseDnsMessage(cut);
  assert.ok(m);
  assert.deepEqual(
    [m.id, m.qr, m.rd, m.ra, m.rcode, m.qname, m.qtype, m.qclass, m.ancount, m.arcount],
    [0x1234, true, true, true, 3, "www.Example.org", 28, 1, 2, 1],
  );
  assert.deepEqual([m.edns, m.dnssecOk, m.udpSize], [-1, false, 0], "the lost OPT is not invented");
});

Deno.test("wire: EDNS client subnet (IPv4 /24, IPv6 /56) as address/prefix", () => {
  const q = (option: Record<string, unknown>) =>
    parseDnsMessage(dnsWire({
      type: "query",
      id: 1,
      flags: 0x100,
      questions: [{ name: "example.com", type: "A" }],
      additionals: [{ name: ".", type: "OPT", udpPayloadSize: 4096, options: [option] }],
    }));
  const v4 = q({ code: "CLIENT_SUBNET", family: 1, sourcePrefixLength: 24, ip: "41.210.128.0" });
  assert.equal(v4?.ecs, "41.210.128.0/24");
  assert.equal(v4?.cookie, false);
  const v6 = q({
    code: "CLIENT_SUBNET",
    family: 2,
    sourcePrefixLength: 56,
    ip: "2c0f:fe38:2000:1200::",
  });
  assert.equal(v6?.ecs, "2c0f:fe38:2000:1200::/56");
  const v6zero = q({ code: "CLIENT_SUBNET", family: 2, sourcePrefixLength: 0, ip: "::" });
  assert.equal(v6zero?.ecs, "::/0");
  // Hand-built: family 1, /20, 3 address bytes.
  const hand = new Uint8Array([
    ...header(2, 0x100, 1, 0, 0, 1),
    ...labels("a"),
    0,
    ...A_IN,
    ...opt(1232, 0, 0, 0, [0, 8, 0, 7, 0, 1, 20, 0, 10, 20, 48]),
  ]);
  assert.equal(parseDnsMessage(hand)?.ecs, "10.20.48.0/20");
});

Deno.test("wire: a cookie option sets cookie; other options do not", () => {
  const m = parseDnsMessage(dnsWire({
    type: "query",
    id: 1,
    flags: 0x100,
    questions: [{ name: "example.com", type: "A" }],
    additionals: [{
      name: ".",
      type: "OPT",
      udpPayloadSize: 1232,
      options: [
        { code: 12, data: Buffer.alloc(4) },
        { code: 10, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
      ],
    }],
  }));
  assert.ok(m);
  assert.deepEqual([m.cookie, m.ecs, m.edns, m.udpSize, m.dnssecOk], [true, null, 0, 1232, false]);
  const padOnly = parseDnsMessage(
    new Uint8Array([
      ...header(2, 0x100, 1, 0, 0, 1),
      ...labels("a"),
      0,
      ...A_IN,
      ...opt(1232, 0, 0, 0, [0, 12, 0, 2, 0, 0]),
    ]),
  );
  assert.equal(padOnly?.cookie, false);
});

Deno.test("wire: extended rcode from the OPT record (BADVERS 16, BADCOOKIE 23)", () => {
  const resp = (headerRcode: number, ext: number, version: number) =>
    parseDnsMessage(
      new Uint8Array([
        ...header(3, 0x8000 | headerRcode, 1, 0, 0, 1),
        ...labels("example", "co", "ug"),
        0,
        ...A_IN,
        ...opt(1232, ext, version, 0),
      ]),
    );
  const badvers = resp(0, 1, 0);
  assert.equal(badvers?.rcode, 16);
  assert.equal(rcodeName(badvers!.rcode), "BADVERS");
  const badcookie = resp(7, 1, 0);
  assert.equal(badcookie?.rcode, 23);
  assert.equal(rcodeName(badcookie!.rcode), "BADCOOKIE");
  const v1 = resp(3, 0, 1);
  assert.deepEqual([v1?.rcode, v1?.edns], [3, 1]);
  // An OPT in the answer section is not the message's OPT record.
  const misplaced = parseDnsMessage(
    new Uint8Array([
      ...header(4, 0x8000, 1, 1, 0, 0),
      ...labels("a"),
      0,
      ...A_IN,
      ...opt(1232, 1, 0, 0x8000),
    ]),
  );
  assert.ok(misplaced);
  assert.deepEqual([misplaced.rcode, misplaced.edns, misplaced.dnssecOk], [0, -1, false]);
});

Deno.test("wire: typeName, className, rcodeName mnemonics", () => {
  assert.deepEqual(
    [1, 28, 65, 64, 12, 255, 252, 251, 10, 1234, 0].map(typeName),
    ["A", "AAAA", "HTTPS", "SVCB", "PTR", "ANY", "AXFR", "IXFR", "NULL", "TYPE1234", "TYPE0"],
  );
  assert.deepEqual([1, 3, 4, 255, 9].map(className), ["IN", "CH", "HS", "ANY", "CLASS9"]);
  assert.deepEqual(
    [0, 2, 3, 5, 16, 23, 12].map(rcodeName),
    ["NOERROR", "SERVFAIL", "NXDOMAIN", "REFUSED", "BADVERS", "BADCOOKIE", "RCODE12"],
  );
});

Deno.test("wire: addressText (IPv4, RFC 5952 IPv6, v4-mapped)", () => {
  const v6 = (...words: number[]) =>
    addressText(new Uint8Array(words.flatMap((w) => [w >> 8, w & 0xff])));
  assert.equal(addressText(new Uint8Array([127, 0, 0, 10])), "127.0.0.10");
  assert.equal(addressText(new Uint8Array([0, 0, 0, 0])), "0.0.0.0");
  assert.equal(addressText(new Uint8Array([255, 255, 255, 255])), "255.255.255.255");
  assert.equal(v6(0, 0, 0, 0, 0, 0, 0, 1), "::1");
  assert.equal(v6(0, 0, 0, 0, 0, 0, 0, 0), "::");
  assert.equal(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), "2001:db8::1");
  assert.equal(v6(0xfe80, 0, 0, 0, 0, 0, 0, 0), "fe80::");
  assert.equal(v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), "2001:db8:0:1:1:1:1:1", "one 0 not shortened");
  assert.equal(v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), "2001:db8::1:0:0:1", "first of equal runs");
  assert.equal(v6(1, 0, 0, 2, 0, 0, 0, 3), "1:0:0:2::3", "longest run");
  assert.equal(v6(0x2C0F, 0xFE38, 0x2000, 0, 0, 0, 0, 0), "2c0f:fe38:2000::", "lower case");
  assert.equal(v6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201), "::ffff:192.0.2.1");
  assert.equal(addressText(new Uint8Array(5)), null);
  assert.equal(addressText(new Uint8Array(0)), null);
});

Deno.test("wire: mutated and truncated real messages never throw", { ignore: NO_XZ }, async () => {
  const all = (await messages("dnstap-1.fstrm")).map((m) => m.wire);
  let seed = 99;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 8;
  };
  let parsed = 0;
  for (let i = 0; i < 5000; i++) {
    const wire = all[rand() % all.length].slice(0, 1 + (rand() % 120));
    for (let k = 0; k < 1 + (rand() % 3); k++) wire[rand() % wire.length] = rand() & 0xff;
    const m = parseDnsMessage(wire);
    if (m === null) continue;
    parsed++;
    assert.ok(m.qname === null || typeof m.qname === "string");
    assert.ok(m.rcode >= 0 && m.rcode < 4096, `rcode ${m.rcode}`);
    assert.ok(m.edns >= -1 && m.edns <= 255);
    if (m.qname !== null) assert.ok(m.qtype !== null && m.qclass !== null);
  }
  assert.ok(parsed > 100, "most mutations still parse");
});
