/**
 * lib/db/url.ts and the database keys of lib/config.ts: URLs are checked before postgres.js
 * sees them, messages name the key and never the value, a unix socket directory (the seed's
 * DB_HOST=/var/run/postgresql) and IPv6 addresses reach postgres.js in a form it connects to.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { ConfigError, describeDatabase, loadConfig } from "../../lib/config.ts";
import { parsePostgresUrl, postgresConnection, PostgresUrlError } from "../../lib/db/url.ts";

Deno.test("postgres URLs: the parts as libpq reads them, a socket directory included", () => {
  assert.deepEqual(parsePostgresUrl("postgres://u:p%40w@db.example:6432/x%20y"), {
    host: "db.example",
    port: 6432,
    database: "x y",
    user: "u",
    password: "p@w",
    socketDir: null,
  });
  const socket = parsePostgresUrl("postgresql://u:pw@/dns?host=/var/run/postgresql&port=5433");
  assert.equal(socket.socketDir, "/var/run/postgresql");
  assert.equal(socket.port, 5433);
  assert.equal(parsePostgresUrl("postgres:///dns?host=%2Frun%2Fpg").socketDir, "/run/pg");
  assert.equal(parsePostgresUrl("postgres://u@[::1]:5433/d").host, "::1");
  assert.equal(parsePostgresUrl("postgres://u@h1:5432,h2:5432/d").host, "h1");
});

Deno.test("postgres URLs: what cannot be used is a PostgresUrlError without the URL in it", () => {
  for (
    const url of [
      "postgres://u:s3cret@h:54x2/d",
      "postgres://u:s3cret@h:99999/d",
      "postgres://u:s3cret@h%zz/d",
      "postgres://u:s3cret@h/d?port=0",
      "mysql://u:s3cret@h/d",
      "postgres://u:s3%zzcret@h/d",
    ]
  ) {
    assert.throws(() => parsePostgresUrl(url), (e: unknown) => {
      assert.ok(e instanceof PostgresUrlError, String(e));
      assert.ok(!e.message.includes("s3"), e.message);
      return true;
    }, url);
  }
});

Deno.test("postgres URLs: a socket directory becomes postgres.js's host, out of the URL's query", async () => {
  const c = postgresConnection("postgres://u:pw@localhost:5432/d?host=%2Fvar%2Frun%2Fpostgresql");
  assert.equal(c.url, "postgres://u:pw@localhost:5432/d");
  assert.deepEqual(c.options, { host: "/var/run/postgresql", port: 5432 });
  const kept = postgresConnection("postgres://u@/d?host=/s&sslmode=disable");
  assert.equal(kept.url, "postgres://u@localhost/d?sslmode=disable");
  // postgres.js takes each (its WHATWG parser refuses a user without a host); lazy: no connection.
  for (
    const url of [
      "postgres://u:pw@/dns?host=/var/run/postgresql",
      "postgresql://u@/dns?host=%2Frun%2Fpg",
      "postgres:///dns?host=/run/pg",
    ]
  ) {
    const c = postgresConnection(url);
    const sql = postgres(c.url, { ...c.options, max: 1 });
    assert.equal(sql.options.host[0], c.options.host, url);
    assert.equal(sql.options.database, "dns", url);
    await sql.end();
  }
  assert.deepEqual(postgresConnection("postgres://u@[::1]:5433/d").options, {
    host: ["::1"],
    port: [5433],
  });
  assert.deepEqual(postgresConnection("postgres://u@h/d").options, {});
});

Deno.test("DB_HOST: a socket directory, an IPv6 address, and a host with a port refused by name", () => {
  const db = { DB_USER: "u", DB_PASSWORD: "s3cret", DB_NAME: "dns" };
  const socket = loadConfig({ env: { ...db, DB_HOST: "/var/run/postgresql" } });
  assert.equal(socket.database.kind, "postgres");
  if (socket.database.kind === "postgres") {
    assert.equal(parsePostgresUrl(socket.database.url).socketDir, "/var/run/postgresql");
  }
  assert.equal(
    describeDatabase(socket.database),
    "postgres://u:***@localhost:5432/dns?host=/var/run/postgresql",
  );
  const v6 = loadConfig({ env: { ...db, DB_HOST: "::1" } });
  assert.equal(describeDatabase(v6.database), "postgres://u:***@[::1]:5432/dns");
  for (const host of ["db.example.com:5432", "dead:5432", "a b", "[::1]:5432"]) {
    assert.throws(() => loadConfig({ env: { ...db, DB_HOST: host } }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^DB_HOST: /);
      assert.ok(!e.message.includes(host) && !e.message.includes("s3cret"), e.message);
      return true;
    }, host);
  }
});
