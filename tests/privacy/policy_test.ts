import assert from "node:assert/strict";
import { Batch } from "../../lib/ingest/batch.ts";
import { FastQueryPath } from "../../lib/ingest/fast_query.ts";
import { ipv6Bytes } from "../../lib/ingest/address.ts";
import { pseudonymOf } from "../../lib/privacy/client_ip.ts";
import { privateErrorLine, privateQuery } from "../../lib/privacy/ingest_hook.ts";
import { createPrivacyPolicy } from "../../lib/privacy/policy.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import type { ErrorLine, QueryLine } from "../../lib/parse/types.ts";
import { createZoneClock } from "../../lib/time.ts";

const KEY = new TextEncoder().encode("0123456789abcdef0123456789abcdef");
// Real BIND 9.18 lines (tests/fixtures/bind-9.18).
const QUERY =
  "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): query: youtube.com IN A +E(0)K (127.0.0.1)";
const ECS =
  "25-Nov-2026 20:43:20.001 client @0x7fd4ba26d098 127.0.0.10#35728 (www.youtube.com): query: www.youtube.com IN A +E(0)K (127.0.0.1) [ECS 41.210.128.77/32/0]";
const ERROR =
  "25-Nov-2026 20:43:17.224 client @0x7fd4ba26d098 127.0.0.11#42921 (api.dead.co.ug): query failed (failure) for api.dead.co.ug/IN/A at query.c:7916";

Deno.test("nothing configured: the policy is inactive and changes nothing", () => {
  const p = createPrivacyPolicy({});
  assert.equal(p.active, false);
  const row = { client: "127.0.0.10", domain: "www.youtube.com", apex: "youtube.com" };
  assert.deepEqual(p.row(row), row);
  const sample = new TextEncoder().encode(QUERY);
  assert.equal(p.redactSample(sample), sample);
});

Deno.test("query line: excluded, truncated, hashed, apex only", () => {
  const q = parseBindLine(ECS) as QueryLine;
  const names = { domain: "www.youtube.com", apex: "youtube.com" };
  const ex = createPrivacyPolicy({ excludeClients: "127.0.0.8/29" });
  assert.equal(privateQuery(ex, q, names), null);
  assert.equal(
    privateQuery(createPrivacyPolicy({ excludeDomains: "*.youtube.com" }), q, names),
    null,
  );
  assert.notEqual(
    privateQuery(createPrivacyPolicy({ excludeDomains: "youtube.com" }), q, names),
    null,
  );

  const t = privateQuery(
    createPrivacyPolicy({ clientIp: "truncate", prefix: [24, 56] }),
    q,
    names,
  )!;
  assert.equal(t.q.clientIp, "127.0.0.0");
  assert.equal(t.q.ecsSubnet, "41.210.128.0/24");
  assert.equal(t.domain, "www.youtube.com");

  const h = privateQuery(createPrivacyPolicy({ clientIp: "hash", key: KEY }), q, names)!;
  assert.equal(h.q.clientIp, pseudonymOf(KEY, "127.0.0.10"));
  assert.equal(h.q.ecsSubnet, null);

  const a = privateQuery(createPrivacyPolicy({ domainDetail: "apex" }), q, names)!;
  assert.equal(a.domain, "youtube.com");
  assert.equal(a.q.clientIp, "127.0.0.10");
});

Deno.test("query-errors line: the same rules, so it still joins its query", () => {
  const e = parseBindLine(ERROR) as ErrorLine;
  const hash = createPrivacyPolicy({ clientIp: "hash", key: KEY, domainDetail: "apex" });
  const v = privateErrorLine(hash, e, "api.dead.co.ug", () => "dead.co.ug")!;
  assert.equal(v.e.clientIp, pseudonymOf(KEY, "127.0.0.11"));
  assert.equal(v.domain, "dead.co.ug");
  const ex = createPrivacyPolicy({ excludeDomains: "*.dead.co.ug" });
  assert.equal(privateErrorLine(ex, e, "api.dead.co.ug", () => "dead.co.ug"), null);
});

Deno.test("tiers: with DNSA_CLIENT_IP_FULL_DAYS ingest keeps the address, the tier transform does not", () => {
  const p = createPrivacyPolicy({ clientIp: "truncate", fullDays: 7 });
  assert.equal(p.ingest.text("192.0.2.9"), "192.0.2.9");
  assert.equal(p.stored.text("192.0.2.9"), "192.0.2.0");
  assert.equal(
    p.row({ client: "192.0.2.9", domain: "a.example", apex: "a.example" })!.client,
    "192.0.2.9",
  );
});

Deno.test("reject samples: every address is replaced by what the mode stores", () => {
  const line = "garbage 127.0.0.10#53 and ::1#53 and 2001:db8::7 at 20:43:16.780 in 10.1.2.3";
  const bytes = new TextEncoder().encode(line + "\xff");
  const h = createPrivacyPolicy({ clientIp: "hash", key: KEY });
  const out = new TextDecoder().decode(h.redactSample(bytes));
  for (const a of ["127.0.0.10", "::1#", "2001:db8::7", "10.1.2.3"]) assert.ok(!out.includes(a), a);
  assert.ok(out.includes(pseudonymOf(KEY, "127.0.0.10")!));
  assert.ok(out.includes("20:43:16.780"), "times are not addresses");
  const t = createPrivacyPolicy({ clientIp: "truncate" });
  assert.equal(
    new TextDecoder().decode(t.redactSample(new TextEncoder().encode(QUERY))),
    QUERY.replace("127.0.0.10#", "127.0.0.0#").replace("(127.0.0.1)", "(127.0.0.0)"),
  );
  // Bytes that are not UTF-8 stay as they were.
  const raw = Uint8Array.from([0xff, 0x31, 0x2e, 0x32, 0x2e, 0x33, 0x2e, 0x34, 0xfe]);
  assert.deepEqual(
    t.redactSample(raw),
    Uint8Array.from([0xff, ...new TextEncoder().encode("1.2.3.0"), 0xfe]),
  );
});

/** The index of `needle` in the batch's COPY data, or -1. */
function find(batch: Batch, needle: Uint8Array): number {
  const rows = batch.rows as { blocks: Uint8Array[] };
  const all = new Uint8Array(rows.blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of rows.blocks) {
    all.set(b, at);
    at += b.length;
  }
  outer: for (let i = 0; i + needle.length <= all.length; i++) {
    for (let k = 0; k < needle.length; k++) if (all[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

function fastBatch(policy: ReturnType<typeof createPrivacyPolicy>, lines: string[]): Batch {
  const fast = new FastQueryPath({ clock: createZoneClock("UTC"), nodeId: 1, privacy: policy });
  const batch = new Batch({ path: "/x", fingerprint: "f", startOffset: 0 });
  const data = new TextEncoder().encode(lines.join("\n") + "\n");
  let s = 0;
  for (const _ of lines) {
    const end = fast.tryLine(data, s, data.length, batch);
    assert.ok(end > 0, "the fast path takes the line");
    s = end + 1;
  }
  return batch;
}

Deno.test("fast path: the binary row holds the truncated or hashed address, never the real one", () => {
  // inet in binary COPY: length 8, family 2, bits 32, is_cidr 0, 4 bytes.
  const v4 = (a: number[]) => Uint8Array.from([0, 0, 0, 8, 2, 32, 0, 4, ...a]);
  const full = fastBatch(createPrivacyPolicy({ excludeDomains: "nothing.example" }), [QUERY]);
  assert.ok(find(full, v4([127, 0, 0, 10])) >= 0);

  const t = fastBatch(createPrivacyPolicy({ clientIp: "truncate" }), [QUERY, ECS]);
  assert.equal(t.counts.rows, 2);
  assert.equal(find(t, v4([127, 0, 0, 10])), -1);
  assert.ok(find(t, v4([127, 0, 0, 0])) >= 0);
  // The ECS subnet 41.210.128.77/32 is stored as 41.210.128.0/24.
  assert.ok(find(t, Uint8Array.from([2, 24, 0, 4, 41, 210, 128, 0])) >= 0);

  const h = fastBatch(createPrivacyPolicy({ clientIp: "hash", key: KEY }), [QUERY]);
  const p = new Uint8Array(16);
  assert.ok(ipv6Bytes(pseudonymOf(KEY, "127.0.0.10")!, p, 0));
  assert.equal(find(h, v4([127, 0, 0, 10])), -1);
  assert.ok(find(h, Uint8Array.from([0, 0, 0, 20, 3, 128, 0, 16, ...p])) >= 0);
});

Deno.test("fast path: excluded lines are counted, not stored; apex detail stores the apex", () => {
  const ex = fastBatch(createPrivacyPolicy({ excludeClients: "127.0.0.10" }), [QUERY, ECS]);
  assert.equal(ex.counts.rows, 0);
  assert.equal(ex.counts.excluded, 2);
  const a = fastBatch(createPrivacyPolicy({ domainDetail: "apex" }), [ECS]);
  const www = new TextEncoder().encode("www.youtube.com");
  assert.equal(find(a, www), -1);
  assert.ok(find(a, new TextEncoder().encode("youtube.com")) >= 0);
});

Deno.test("access-log filters: addresses redacted, pseudonyms kept in hash mode", () => {
  const h = createPrivacyPolicy({ clientIp: "hash", key: KEY });
  const p = pseudonymOf(KEY, "192.0.2.1")!;
  assert.equal(h.redactText("192.0.2.1"), p);
  assert.equal(h.redactText(p), p);
  assert.equal(createPrivacyPolicy({ clientIp: "truncate" }).redactText("192.0.2.1"), "192.0.2.0");
  assert.equal(createPrivacyPolicy({}).redactText("192.0.2.1"), "192.0.2.1");
});
