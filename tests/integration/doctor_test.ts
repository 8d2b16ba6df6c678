/**
 * `doctor` against a real PostgreSQL (DNSA_TEST_DATABASE_URL): a wrong password, a missing
 * log file, and a correct setup. Tests run as root, who reads every file whatever its mode,
 * so permission denial cannot be tested here: a missing file stands in for an unreadable one
 * (as a non-root user, or as root with the service user installed, doctor reports both).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestDb, runProgram } from "./pg.ts";

const NAMED_CONF = new URL("../../deploy/bind/dns1/", import.meta.url).pathname;

/** A named.conf whose channels write to `dir` (the deploy/ files with paths rewritten). */
async function namedConfFor(dir: string): Promise<string> {
  for (const name of ["named.conf.options", "named.conf.local"]) {
    const text = await Deno.readTextFile(join(NAMED_CONF, name));
    await Deno.writeTextFile(join(dir, name), text.replaceAll("/var/log/named", dir));
  }
  const top = join(dir, "named.conf");
  await Deno.writeTextFile(top, 'include "named.conf.options";\ninclude "named.conf.local";\n');
  return top;
}

async function setup() {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-doctor-" });
  const env = {
    DNSA_QUERY_LOG: join(dir, "queries.log"),
    DNSA_ERROR_LOG: join(dir, "query-errors.log"),
  };
  await Deno.writeTextFile(env.DNSA_QUERY_LOG, "");
  await Deno.writeTextFile(env.DNSA_ERROR_LOG, "");
  const conf = await namedConfFor(dir);
  return {
    db,
    dir,
    env,
    doctor: (extra: Record<string, string> = {}) =>
      db.run(["doctor", "--named-conf", conf], { ...env, ...extra }),
    async cleanup() {
      await Deno.remove(dir, { recursive: true });
      await db.drop();
    },
  };
}

function lines(out: string, level: string): string[] {
  return out.split("\n").filter((l) => l.startsWith(level));
}

Deno.test("doctor: correct setup exits 0; it does not migrate the database", async () => {
  const t = await setup();
  try {
    const fresh = await t.doctor();
    assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    assert.deepEqual(lines(fresh.stdout, "FAIL"), []);
    assert.match(fresh.stdout, /^warn {2}schema: no tables yet, .* pending/m);
    const [{ n }] = await t.db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_tables where schemaname = 'public'`;
    assert.equal(n, 0, "doctor created tables");

    const migrated = await t.db.run(["migrate"]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const ok = await t.doctor();
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    for (
      const check of [
        "config",
        "database",
        "schema",
        "log DNSA_QUERY_LOG",
        "log DNSA_ERROR_LOG",
        "named.conf",
        "named.conf queries",
        "named.conf query-errors",
        "named.conf rotation",
        "named.conf rate-limit",
      ]
    ) {
      assert.match(ok.stdout, new RegExp(`^ok {4}${check}: `, "m"), check);
    }
    assert.match(ok.stdout, /^warn {2}named.conf dnstap: .*NXDOMAIN/m);
    assert.match(ok.stdout, /^ok {4}schema: version \d+ .*current/m);
  } finally {
    await t.cleanup();
  }
});

Deno.test("doctor: a wrong password is a FAIL naming the keys, never the password", async () => {
  const t = await setup();
  try {
    const u = new URL(t.db.url);
    const password = "wrong-pw-Zq81x";
    u.password = password;
    const r = await t.doctor({ DATABASE_URL: u.toString() });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const fails = lines(r.stdout, "FAIL");
    assert.equal(fails.length, 1, r.stdout);
    assert.match(fails[0], /^FAIL {2}database: .*authentication failed.*DB_PASSWORD.*DATABASE_URL/);
    assert.ok(!(r.stdout + r.stderr).includes(password), "the password leaked");
    // The seed's db.env keys: the same, with DB_PASSWORD.
    const seedKeys = await runProgram(["doctor", "--named-conf", join(t.dir, "named.conf")], {
      ...t.env,
      DB_HOST: u.hostname,
      DB_PORT: u.port || "5432",
      DB_NAME: u.pathname.slice(1),
      DB_USER: decodeURIComponent(u.username),
      DB_PASSWORD: password,
    });
    assert.equal(seedKeys.code, 1);
    assert.match(seedKeys.stdout, /^FAIL {2}database: .*DB_PASSWORD/m);
    assert.ok(!(seedKeys.stdout + seedKeys.stderr).includes(password), "the password leaked");
  } finally {
    await t.cleanup();
  }
});

Deno.test("doctor: a log file that cannot be read is a FAIL naming its key", async () => {
  const t = await setup();
  try {
    await Deno.remove(t.env.DNSA_ERROR_LOG);
    const r = await t.doctor();
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const fails = lines(r.stdout, "FAIL");
    assert.equal(fails.length, 1, r.stdout);
    assert.match(fails[0], /^FAIL {2}log DNSA_ERROR_LOG: .*query-errors.log does not exist/);
    // named.conf and the configuration disagree about where the query log is.
    const moved = await t.doctor({ DNSA_QUERY_LOG: join(t.dir, "other.log") });
    assert.match(moved.stdout, /^FAIL {2}named.conf queries: .*set DNSA_QUERY_LOG/m);
  } finally {
    await t.cleanup();
  }
});

Deno.test("doctor: a configuration that does not load is a FAIL, and exit 1", async () => {
  const r = await runProgram(["doctor", "--named-conf", "/nonexistent/named.conf"], {
    DNSA_SOURCE: "nonsense",
    DNSA_TYPO: "1",
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL {2}config: Unknown configuration key DNSA_TYPO/m);
  assert.match(r.stdout, /^FAIL {2}named.conf: cannot read \/nonexistent\/named.conf/m);
});
