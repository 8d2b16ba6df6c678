import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

const base = { DNSA_LOG_TZ: "UTC" };

Deno.test("privacy defaults: full addresses, full names, nothing excluded, no stats token", () => {
  const c = loadConfig({ env: base });
  assert.deepEqual(c.privacy, {
    clientIp: "full",
    prefix: [24, 56],
    keyFile: null,
    fullDays: 0,
    excludeClients: undefined,
    excludeDomains: undefined,
    domainDetail: "full",
  });
  assert.equal(c.httpStatsToken, null);
});

Deno.test("privacy keys are parsed and checked together", () => {
  const c = loadConfig({
    env: {
      ...base,
      DNSA_CLIENT_IP: "hash",
      DNSA_CLIENT_IP_KEY_FILE: "/etc/dns-analytics/client-ip.key",
      DNSA_CLIENT_IP_PREFIX: "20, 48",
      DNSA_CLIENT_IP_FULL_DAYS: "7",
      DNSA_EXCLUDE_CLIENTS: "192.0.2.10,198.51.100.0/24",
      DNSA_EXCLUDE_DOMAINS: "*.probe.example",
      DNSA_DOMAIN_DETAIL: "apex",
      DNSA_HTTP_TOKEN: "admin-secret-0123456789",
      DNSA_HTTP_STATS_TOKEN: "stats-secret-0123456789",
    },
  });
  assert.equal(c.privacy.clientIp, "hash");
  assert.deepEqual(c.privacy.prefix, [20, 48]);
  assert.equal(c.privacy.fullDays, 7);
  assert.equal(c.privacy.domainDetail, "apex");
  assert.equal(c.httpStatsToken, "stats-secret-0123456789");
});

Deno.test("privacy keys: each mistake is a ConfigError naming the key", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ DNSA_CLIENT_IP: "anonymize" }, /DNSA_CLIENT_IP/],
    [{ DNSA_CLIENT_IP: "hash" }, /DNSA_CLIENT_IP_KEY_FILE/],
    [{ DNSA_CLIENT_IP_PREFIX: "33,56" }, /DNSA_CLIENT_IP_PREFIX/],
    [{ DNSA_CLIENT_IP_PREFIX: "24" }, /DNSA_CLIENT_IP_PREFIX/],
    [{ DNSA_CLIENT_IP_FULL_DAYS: "7" }, /DNSA_CLIENT_IP_FULL_DAYS needs DNSA_CLIENT_IP/],
    [
      { DNSA_CLIENT_IP: "truncate", DNSA_CLIENT_IP_FULL_DAYS: "30" },
      /less than DNSA_RETENTION_DAYS=30/,
    ],
    [{ DNSA_EXCLUDE_CLIENTS: "not-a-net" }, /DNSA_EXCLUDE_CLIENTS/],
    [{ DNSA_EXCLUDE_DOMAINS: "a.*.b" }, /DNSA_EXCLUDE_DOMAINS/],
    [{ DNSA_DOMAIN_DETAIL: "labels" }, /DNSA_DOMAIN_DETAIL/],
    [
      { DNSA_HTTP_STATS_TOKEN: "stats-secret-0123456789" },
      /DNSA_HTTP_STATS_TOKEN needs DNSA_HTTP_TOKEN/,
    ],
    [
      {
        DNSA_HTTP_TOKEN: "same-secret-0123456789",
        DNSA_HTTP_STATS_TOKEN: "same-secret-0123456789",
      },
      /must differ/,
    ],
    [
      { DNSA_HTTP_TOKEN: "admin-secret-0123456789", DNSA_HTTP_STATS_TOKEN: "short" },
      /DNSA_HTTP_STATS_TOKEN[^]*at least 16 bytes/,
    ],
  ];
  for (const [env, message] of bad) {
    assert.throws(() => loadConfig({ env: { ...base, ...env } }), ConfigError, JSON.stringify(env));
    assert.throws(() => loadConfig({ env: { ...base, ...env } }), message, JSON.stringify(env));
  }
});
