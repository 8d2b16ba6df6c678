import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { apexDomain, normalizeDomain } from "../../lib/domain.ts";
import { Batch } from "../../lib/ingest/batch.ts";
import { createPrivacyPolicy } from "../../lib/privacy/policy.ts";
import { FastQueryPath } from "../../lib/ingest/fast_query.ts";
import type { BinaryCopySink } from "../../lib/ingest/binary_sink.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import { createZoneClock } from "../../lib/time.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url);
const ENC = new TextEncoder();

function bytesOf(sink: BinaryCopySink): number[] {
  return sink.blocks().flatMap((b) => [...b]);
}

/** Rows of `lines` through the fast path and through the general parser, side by side. */
function bothPaths(lines: string[], tz = "UTC", format?: "blocks", apexOnly = false) {
  const clock = createZoneClock(tz);
  const privacy = apexOnly ? createPrivacyPolicy({ domainDetail: "apex" }) : null;
  const fast = new FastQueryPath({ clock, nodeId: 3, privacy });
  const taken: string[] = [];
  const declined: string[] = [];
  const a = new Batch({ path: "a", fingerprint: "a", startOffset: 0 }, { format });
  const b = new Batch({ path: "b", fingerprint: "b", startOffset: 0 }, { format });
  for (const line of lines) {
    const bytes = ENC.encode(`${line}\n`);
    const end = fast.tryLine(bytes, 0, bytes.length, a);
    if (end >= 0) assert.equal(end, bytes.length - 1, `line end of ${line}`);
    if (end < 0) {
      declined.push(line);
      continue;
    }
    taken.push(line);
    const q = parseBindLine(line);
    assert.equal(q.kind, "query", `the fast path took a line the parser calls ${q.kind}: ${line}`);
    if (q.kind !== "query") continue;
    const at = clock.toEpoch(q.time);
    const domain = normalizeDomain(q.qname);
    b.addQuery(q, Math.floor(q.time / 86_400_000), {
      at,
      domain: apexOnly ? apexDomain(domain) : domain,
      apex: apexDomain(domain),
      nodeId: 3,
    });
  }
  return { a, b, taken, declined };
}

Deno.test("fast path and general parser store identical rows for every fixture query line", () => {
  const text = new TextDecoder().decode(
    gunzipSync(Deno.readFileSync(new URL("queries.log.gz", FIXTURES))),
  );
  const lines = text.split("\n").filter((l) => l !== "");
  for (const tz of ["UTC", "Africa/Kampala"]) {
    const { a, b, taken, declined } = bothPaths(lines, tz);
    assert.ok(taken.length > lines.length * 0.9, `fast path took ${taken.length}/${lines.length}`);
    assert.deepEqual(bytesOf(a.sink as BinaryCopySink), bytesOf(b.sink as BinaryCopySink));
    assert.deepEqual([...a.days], [...b.days]);
    assert.deepEqual([a.minAt, a.maxAt, a.counts.rows], [b.minAt, b.maxAt, b.counts.rows]);
    // What it declines is what needs the general parser: escapes, trailing dots.
    for (const l of declined) assert.match(l, /\\|\.\s+IN |\. [A-Z]+ [A-Z0-9]+ /, l);
  }
  // Blocks too: the same bytes, the apexes' and names' Bloom filters included (the fast path
  // takes the hashes from its cache, the general one hashes each name), also when only the
  // apex is stored of each name (DNSA_DOMAIN_DETAIL=apex).
  for (const apexOnly of [false, true]) {
    const { a, b } = bothPaths(lines, "UTC", "blocks", apexOnly);
    const blocks = (x: Batch) => (x.rows as { blocks: Uint8Array[] }).blocks.flatMap((c) => [...c]);
    const [x, y] = [blocks(a), blocks(b)];
    let same = 0;
    while (same < x.length && x[same] === y[same]) same++;
    assert.equal(same, Math.max(x.length, y.length), `block bytes differ from byte ${same}`);
  }
});

Deno.test("fast path: views, IPv6, ECS, case, flags in either order", () => {
  const lines = [
    "25-Nov-2026 20:31:42.716 client @0x7fc4c001c098 127.0.0.7#34756 (www.codeandcore.home): view external: query: www.codeandcore.home IN A +E(0)K (127.0.0.1)",
    "25-Nov-2026 20:16:21.788 client @0x7f843d033c98 ::1#44618 (www.youtube.com): query: www.youtube.com IN AAAA +E(0)K (::1) [ECS 2c0f:fe38::/32/0]",
    "25-Nov-2026 20:16:21.768 client @0x7f843d032098 127.0.0.1#56484 (www.youtube.com): query: www.youtube.com IN A +E(0)K (127.0.0.1) [ECS 196.43.0.0/16/0]",
    "25-Nov-2026 20:17:29.988 client @0x7f843d032098 127.0.0.3#58397 (wwW.gOOGle.COm): query: wwW.gOOGle.COm IN A + (127.0.0.1)",
    "25-Nov-2026 20:16:22.344 client @0x7f843951f098 127.0.0.1#47422 (.): query: . IN NS +E(0)K (127.0.0.1)",
    "25-Nov-2026 20:16:22.344 client @0x7f843951f098 2001:db8::5#47422 (x.example.co.ug): view my view: 2: query: x.example.co.ug CH TXT -SE(0)TDCV (2001:db8::1)",
    "01-Dec-2026 00:00:00.000 client @0x1 10.10.10.31#53 (b.c): query: b.c IN TYPE65534 +SE(1)T (10.10.10.250)",
    "25-Nov-2026 20:16:21.768 client @0x7f843d032098 10.0.0.1#56484 (a.b): query: a.b IN A +E(0) (10.0.0.2) [ECS 2001:db8:ab00::/056/0]",
    "25-Nov-2026 20:16:21.768 client @0x7f843d032098 10.0.0.1#56484 (a.b): query: a.b IN A +E(0) (10.0.0.2) [ECS ::ffff:10.1.0.0/112/24]",
    "25-Nov-2026 20:16:21.768 client @0x7f843d032098 10.0.0.1#56484 (a.b): query: a.b IN A +E(0) (10.0.0.2) [ECS 0.0.0.0/0/0]",
  ];
  const { a, b, taken } = bothPaths(lines);
  assert.equal(taken.length, lines.length);
  assert.deepEqual(bytesOf(a.sink as BinaryCopySink), bytesOf(b.sink as BinaryCopySink));
});

Deno.test("fast path: a line's end is where its newline is, never in the next line", () => {
  const clock = createZoneClock("UTC");
  const fast = new FastQueryPath({ clock, nodeId: 3 });
  const good =
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1)";
  const batch = new Batch({ path: "a", fingerprint: "a", startOffset: 0 });
  for (
    const cut of [
      "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1",
      "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1) [ECS 1.2.0.0/16/0",
      "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): view v",
      "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b",
      "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A +E(0",
    ]
  ) {
    const bytes = ENC.encode(`${cut}\n${good}\n`);
    assert.equal(fast.tryLine(bytes, 0, bytes.length, batch), -1, cut);
    assert.equal(fast.tryLine(bytes, cut.length + 1, bytes.length, batch), bytes.length - 1);
  }
  // The newline must lie before the limit.
  const bytes = ENC.encode(`${good}\n`);
  assert.equal(fast.tryLine(bytes, 0, bytes.length - 1, batch), -1);
  assert.equal(batch.counts.rows, 5);
});

Deno.test("fast path declines what it does not know, so the general parser decides", () => {
  const declined = [
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a\\(1\\).b): query: a\\(1\\).b IN A + (127.0.0.1)",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b.): query: a.b. IN A + (127.0.0.1)",
    "2026-11-25T20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1)",
    "25-Nov-2026 20:16:21.532 queries: info: client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1)",
    "25-Nov-2026 20:16:21.532 client 127.0.0.1#56260: query: a.b IN A",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A +E (127.0.0.1)",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 fe80::1%2#56260 (a.b): query: a.b IN A + (fe80::2)",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query failed (REFUSED) for a.b/IN/A at query.c:5708",
    "31-Feb-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1)",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A +TT (127.0.0.1)",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#99999 (a.b): query: a.b IN A + (127.0.0.1)",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1) junk",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1) [ECS 196.43.0.0/0]",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1) [ECS 196.43.0.0/+16/0]",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1) [ECS 196.43.0.0/33/0]",
    "25-Nov-2026 20:16:21.532 client @0x7f843d032098 127.0.0.1#56260 (a.b): query: a.b IN A + (127.0.0.1) [ECS 196.43.0/16/0]",
  ];
  const { taken } = bothPaths(declined);
  assert.deepEqual(taken, []);
});
