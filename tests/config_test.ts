import assert from "node:assert/strict";
import { ConfigError, describeDatabase, loadConfig, parseEnvFile } from "../lib/config.ts";

const SEED_DB_ENV = `DB_HOST=127.0.0.1
DB_PORT=5432
DB_NAME=dns_analytics
DB_USER=dns_user
DB_PASSWORD=YourActualPassword
`;

Deno.test("the seed's db.env works unchanged", () => {
  const c = loadConfig({ env: {}, fileText: SEED_DB_ENV, fileName: "db.env" });
  assert.equal(c.database.kind, "postgres");
  assert.equal(
    c.database.kind === "postgres" && c.database.url,
    "postgres://dns_user:YourActualPassword@127.0.0.1:5432/dns_analytics",
  );
  assert.equal(
    describeDatabase(c.database),
    "postgres://dns_user:***@127.0.0.1:5432/dns_analytics",
  );
});

Deno.test("DATABASE_URL wins over the DB_* keys", () => {
  const c = loadConfig({
    env: { DATABASE_URL: "postgres://a:b@db.example:6432/x", DB_NAME: "ignored", DB_USER: "u" },
  });
  assert.equal(
    c.database.kind === "postgres" && c.database.url,
    "postgres://a:b@db.example:6432/x",
  );
});

Deno.test("no database configured: the embedded database in DNSA_DATA_DIR", () => {
  const c = loadConfig({ env: { DNSA_DATA_DIR: "/var/lib/dns-analytics" } });
  assert.deepEqual(c.database, { kind: "embedded", dataDir: "/var/lib/dns-analytics" });
});

Deno.test("defaults of the interface contract", () => {
  const c = loadConfig({ env: { DNSA_LOG_TZ: "UTC" } });
  assert.equal(c.source, "querylog");
  assert.equal(c.queryLog, "/var/log/named/queries.log");
  assert.equal(c.errorLog, "/var/log/named/query-errors.log");
  assert.equal(c.pollMs, 1000);
  assert.deepEqual(c.http, { host: "127.0.0.1", port: 8053 });
  assert.equal(c.retentionDays, 30);
  assert.equal(c.statsRetentionDays, 400);
  assert.deepEqual(c.schedules, {
    rollup: "*/5 * * * *",
    retention: "17 3 * * *",
    federate: "*/5 * * * *",
  });
  assert.equal(c.readDatabaseUrl, null);
  assert.ok(c.node.length > 0);
  assert.ok(Object.isFrozen(c));
});

Deno.test("a wrong value is named with what is allowed", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ DNSA_RETENTION_DAYS: "0" }, /DNSA_RETENTION_DAYS/],
    [{ DNSA_STATS_RETENTION_DAYS: "40000" }, /DNSA_STATS_RETENTION_DAYS/],
    [{ DNSA_SOURCE: "syslog" }, /DNSA_SOURCE[\s\S]*querylog[\s\S]*dnstap/],
    [{ DNSA_LOG_TZ: "Mars/Olympus" }, /DNSA_LOG_TZ[\s\S]*IANA/],
    [{ DNSA_POLL_MS: "fast" }, /DNSA_POLL_MS/],
    [{ DNSA_ROLLUP_SCHEDULE: "every hour" }, /DNSA_ROLLUP_SCHEDULE[\s\S]*five fields/],
    [{ DNSA_RETENTION_SCHEDULE: "0 3 * *" }, /DNSA_RETENTION_SCHEDULE[\s\S]*cron/],
    [{ DNSA_HTTP: "8053" }, /DNSA_HTTP[\s\S]*HOST:PORT/],
    [{ DB_PORT: "99999" }, /DB_PORT/],
    [{ DNSA_NODE: "dns 1" }, /DNSA_NODE/],
    [{ DNSA_RETENTON_DAYS: "3" }, /Unknown configuration key DNSA_RETENTON_DAYS/],
    [{ DNSA_PEERS: "dns2" }, /DNSA_PEERS/],
  ];
  for (const [env, pattern] of cases) {
    assert.throws(() => loadConfig({ env }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
});

Deno.test("passwords never appear in messages", () => {
  const secret = "s3cr3t-Pa55";
  for (
    const env of [
      { DB_PASSWORD: secret, DB_HOST: "h", DB_PORT: "bad" },
      { DATABASE_URL: `mysql://u:${secret}@h/db` },
      { DB_PASSWORD: secret, DB_HOST: "h" },
      { DNSA_PEERS: `dns2 postgres://u:${secret}@h/db` },
      { DNSA_HTTP_TOKEN: secret, DNSA_HTTP: "nope" },
    ]
  ) {
    assert.throws(() => loadConfig({ env }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(!e.message.includes(secret), e.message);
      return true;
    });
  }
});

Deno.test("env files: comments, export, quotes; the file overrides the environment", () => {
  assert.deepEqual(parseEnvFile(`# c\nexport A="x y"\nB='z'\n\nC=1 # not a comment\n`), {
    A: "x y",
    B: "z",
    C: "1 # not a comment",
  });
  const c = loadConfig({ env: { DNSA_NODE: "from-env" }, fileText: "DNSA_NODE=from-file\n" });
  assert.equal(c.node, "from-file");
});

Deno.test("DNSA_PEERS parses name=url pairs", () => {
  const c = loadConfig({
    env: { DNSA_PEERS: "dns2=postgres://r@10.10.10.250/dns_analytics, dns3=postgresql://h/db" },
  });
  assert.deepEqual(c.peers.map((p) => p.name), ["dns2", "dns3"]);
});

Deno.test("job schedules are configurable cron expressions", () => {
  const c = loadConfig({
    env: {
      DNSA_ROLLUP_SCHEDULE: "2-59/10 * * * *",
      DNSA_RETENTION_SCHEDULE: "0 1 * * 0",
      DNSA_FEDERATE_SCHEDULE: "*/15 * * * *",
    },
  });
  assert.deepEqual(c.schedules, {
    rollup: "2-59/10 * * * *",
    retention: "0 1 * * 0",
    federate: "*/15 * * * *",
  });
});

Deno.test("DNSA_READ_DATABASE_URL names a read replica for reports", () => {
  const c = loadConfig({
    env: { DNSA_READ_DATABASE_URL: "postgres://dns_reader@replica.example/dns_analytics" },
  });
  assert.equal(c.readDatabaseUrl, "postgres://dns_reader@replica.example/dns_analytics");
  assert.throws(
    () => loadConfig({ env: { DNSA_READ_DATABASE_URL: "mysql://x/y" } }),
    /DNSA_READ_DATABASE_URL/,
  );
});
