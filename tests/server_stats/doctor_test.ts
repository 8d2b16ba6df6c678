import assert from "node:assert/strict";
import { loadNamedConf } from "../../lib/named_conf.ts";
import { checkStatsChannel, statsChannelsOf } from "../../lib/server_stats/doctor.ts";

const DEPLOY = new URL("../../deploy/bind/", import.meta.url).pathname;

Deno.test("the shipped BIND configs open the statistics channel on loopback, not on 8053", async () => {
  for (const server of ["dns1", "dns2"]) {
    const conf = await loadNamedConf(`${DEPLOY}${server}/named.conf.options`);
    assert.deepEqual(statsChannelsOf(conf), [{ address: "127.0.0.1", port: 8080 }], server);
    const findings = await checkStatsChannel({
      namedStats: null,
      http: { host: "127.0.0.1", port: 8053 },
    }, { conf });
    assert.deepEqual(findings.map((f) => f.level), ["warn"]);
    assert.match(findings[0].message, /DNSA_NAMED_STATS=http:\/\/127\.0\.0\.1:8080/);
  }
});

Deno.test("doctor: the channel and DNSA_HTTP on one port is a FAIL", async () => {
  const conf = await loadNamedConf(`${DEPLOY}dns1/named.conf.options`);
  const same = await checkStatsChannel({
    namedStats: "http://127.0.0.1:8080",
    http: { host: "0.0.0.0", port: 8080 },
  }, { conf });
  assert.equal(same[0].level, "FAIL");
  assert.match(same[0].message, /same port/);
  const self = await checkStatsChannel({
    namedStats: "http://localhost:8053",
    http: { host: "127.0.0.1", port: 8053 },
  }, { conf: null });
  assert.deepEqual(self.map((f) => f.level), ["FAIL"]);
  assert.match(self[0].message, /own port/);
});

Deno.test("doctor: a channel that does not answer is a FAIL naming the key", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const findings = await checkStatsChannel({
    namedStats: `http://127.0.0.1:${port}`,
    http: { host: "127.0.0.1", port: 8053 },
  }, { conf: null, timeoutMs: 2000 });
  assert.deepEqual(findings.map((f) => f.level), ["FAIL"]);
  assert.match(findings[0].message, /DNSA_NAMED_STATS/);
  assert.match(findings[0].message, /statistics-channels/);
});
