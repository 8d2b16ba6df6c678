import assert from "node:assert/strict";
import { accessOf, guardClientAccess, revealsClients } from "../../lib/privacy/http_access.ts";
import { createLogger } from "../../lib/log.ts";
import { CLIENT_DETAIL_PATHS } from "../../lib/http/client_detail.ts";

const tokens = { httpToken: "admin-secret", httpStatsToken: "stats-secret" };
const req = (headers: Record<string, string>) =>
  new Request("http://127.0.0.1:8053/api/nodes", { headers });

Deno.test("accessOf: the token's name from bearer or cookie; none without a valid one", () => {
  assert.equal(accessOf(req({ authorization: "Bearer admin-secret" }), tokens), "admin");
  assert.equal(accessOf(req({ authorization: "Bearer stats-secret" }), tokens), "stats");
  assert.equal(accessOf(req({ cookie: "dnsa_token=stats-secret" }), tokens), "stats");
  assert.equal(
    accessOf(req({ authorization: "Bearer wrong", cookie: "dnsa_token=admin-secret" }), tokens),
    "admin",
  );
  assert.equal(accessOf(req({ authorization: "Bearer wrong" }), tokens), null);
  assert.equal(accessOf(req({}), tokens), null);
  assert.equal(accessOf(req({}), { httpToken: null }), "admin", "no token configured: loopback");
  assert.equal(accessOf(req({ authorization: "Bearer x" }), { httpToken: "x" }), "admin");
});

Deno.test("revealsClients: client and query endpoints, not aggregates", () => {
  for (
    const p of ["/api/client", "/api/queries", "/api/reports/top-clients", "/api/client-names"]
  ) {
    assert.ok(revealsClients(p), p);
  }
  for (const p of ["/api/reports/top-domains", "/api/domain", "/api/nodes", "/metrics", "/"]) {
    assert.ok(!revealsClients(p), p);
  }
});

Deno.test("guardClientAccess: 403 for stats, logged with the token's name and the filter", async () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l: string) => lines.push(l) });
  const url = new URL("http://h/api/client?ip=192.0.2.1&from=2026-11-01");
  const denied = guardClientAccess("stats", url, {
    log,
    redact: (s) => s.replace("192.0.2.1", "192.0.2.0"),
  });
  assert.equal(denied?.status, 403);
  assert.match((await denied!.json()).error, /DNSA_HTTP_STATS_TOKEN/);
  assert.equal(guardClientAccess("admin", url, { log }), null);
  assert.equal(guardClientAccess("stats", new URL("http://h/api/domain?name=x"), { log }), null);
  assert.equal(lines.length, 2);
  const [a, b] = lines.map((l) => JSON.parse(l));
  assert.equal(a.msg, "http: client data refused");
  assert.equal(a.token, "stats");
  assert.deepEqual(a.filter, { ip: "192.0.2.0", from: "2026-11-01" });
  assert.equal(b.token, "admin");
  assert.ok(!lines.join("").includes("secret"));
});

Deno.test("revealsClients: every query-log and drill-down path of the search", () => {
  for (const p of CLIENT_DETAIL_PATHS) assert.ok(revealsClients(p), p);
  assert.ok(revealsClients("/api/client-domains"));
  assert.ok(revealsClients("/api/domain-clients"));
});
