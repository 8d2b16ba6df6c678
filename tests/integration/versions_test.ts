import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestDb } from "./pg.ts";

// One file mixing what BIND 9.3 to 9.20 and syslog write, as a file of one server may.
const MIXED = [
  "25-Nov-2026 20:43:16.780 client 192.0.2.1#53: query: old.example IN MX",
  "25-Nov-2026 20:43:16.784 client 192.0.2.2#5353 (a.example.com): query: a.example.com IN A +E (192.0.2.53)",
  "25-Nov-2026 20:43:16.788 queries: info: client @0x7f1 192.0.2.3#1 (b.example.com): query: b.example.com IN AAAA +E(0)DK (192.0.2.53)",
  "25-Nov-2026 20:43:16.792 client @0x7f2 2001:db8::4#2 (c.example.co.uk): query: c.example.co.uk IN A +E(0)SK (2001:db8::53)",
  "25-Nov-2026 20:43:16.796 responses: info: client @0x7f2 2001:db8::4#2 (c.example.co.uk): response: c.example.co.uk IN A NXDOMAIN 0 1 0 +E(0)SK (2001:db8::53)",
  "2026-11-25T20:43:16.800Z client @0x7f3 192.0.2.5#3 (d.example.com): view internal: query: d.example.com IN HTTPS +E(0) (192.0.2.53)",
  "25-Nov-2026 20:43:16.804 client @0x7f3 192.0.2.5#3 (d.example.com): view internal: query failed (REFUSED) for d.example.com/IN/HTTPS at query.c:5708",
  "Nov 25 20:43:16 dns1 named[123]: client @0x7f4 192.0.2.6#4 (E.Example.COM): query: E.Example.COM CH TXT -E(0)TK (192.0.2.53)",
  "25-Nov-2026 20:43:17.000 client @0x7f5 192.0.2.7#5 (gone.example.com): query failed (timed out) for gone.example.com/IN/A at query.c:7916",
  "25-Nov-2026 20:43:17.004 client @0x7f5 192.0.2.7#5 (gone.example.com): rate limit drop timed out error response to 192.0.2.0/24",
  "25-Nov-2026 20:43:17.008 general: notice: running",
  "25-Nov-2026 20:43:17.012 client @0x7f6 192.0.2.8#6 (x.y): query: x.y IN TYPE65534 +E(0)K (192.0.2.53) [ECS 41.210.128.0/24/0]",
].join("\n") + "\n";

Deno.test("lines of BIND 9.3 to 9.20 and syslog in one file: rows, rcodes, orphans", async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-versions-" });
  try {
    const path = join(dir, "named.log");
    await Deno.writeTextFile(path, MIXED);
    const r = await db.run(["ingest", path]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      [r.json!.lines, r.json!.rows, r.json!.error_lines, r.json!.skipped, r.json!.rejected],
      [12, 7, 4, 1, 0],
    );
    const rows = await db.sql<
      { domain: string; apex: string; qtype: string; qclass: string; rcode: string | null }[]
    >`
      select domain, apex_domain as apex, qtype, qclass, response_rcode as rcode
      from dns_queries order by queried_at, domain`;
    const by = Object.fromEntries(rows.map((x) => [x.domain, x]));
    assert.equal(by["c.example.co.uk"].rcode, "NXDOMAIN", "the 9.20.3 response line's rcode");
    assert.equal(by["c.example.co.uk"].apex, "example.co.uk");
    assert.equal(by["d.example.com"].rcode, "REFUSED");
    assert.equal(by["e.example.com"].qclass, "CH");
    assert.equal(by["x.y"].qtype, "TYPE65534");
    assert.equal(by["old.example"].rcode, null);
    const [o] = await db.sql`
      select count(*) filter (where kind = 'failed' and matched_query_at is null)::int as orphans,
             count(*) filter (where kind = 'ratelimit')::int as ratelimit
      from dns_query_errors`;
    assert.deepEqual([o.orphans, o.ratelimit], [1, 1]);
    // The orphan counts as a failed query of its own in the report.
    const rep = await db.run(["report", "top-domains", "--format", "json", "--limit", "100"]);
    const gone = (JSON.parse(rep.stdout) as { domain: string; hit_count: number }[])
      .find((x) => x.domain === "gone.example.com");
    assert.equal(gone?.hit_count, 1);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
