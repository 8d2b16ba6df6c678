/**
 * The seed's DB_HOST=/var/run/postgresql (a unix socket directory, as psycopg2 takes it): the
 * program connects over the socket. The role is the test's own OS user with peer
 * authentication, which only a unix socket offers: the password given is wrong on purpose, so
 * a TCP connection could not log in.
 */
import assert from "node:assert/strict";
import { userInfo } from "node:os";
import postgres from "postgres";
import { MIGRATIONS } from "../../lib/db/migrate.ts";
import { adminUrl, createTestDb } from "./pg.ts";

const SOCKET_DIR = "/var/run/postgresql";

function haveSocketDir(): boolean {
  try {
    return Deno.statSync(SOCKET_DIR).isDirectory;
  } catch {
    return false;
  }
}

Deno.test({
  name: "DB_HOST=/var/run/postgresql: migrate, ingest and report over the unix socket",
  ignore: !haveSocketDir(),
  async fn() {
    const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    const db = await createTestDb();
    const role = userInfo().username;
    const [{ exists }] =
      await admin`select exists (select 1 from pg_roles where rolname = ${role})`;
    try {
      if (!exists) await admin.unsafe(`create role "${role}" login`);
      const name = new URL(db.url).pathname.slice(1);
      await admin.unsafe(`alter database ${name} owner to "${role}"`);
      const env = {
        DATABASE_URL: "",
        DB_HOST: SOCKET_DIR,
        DB_PORT: new URL(adminUrl()).port || "5432",
        DB_NAME: name,
        DB_USER: role,
        DB_PASSWORD: "not-the-password",
      };
      const migrated = await db.run(["migrate"], env);
      assert.equal(migrated.code, 0, migrated.stderr);
      const [{ n }] = await db.sql`select count(*)::int as n from schema_migrations`;
      assert.equal(n, MIGRATIONS.length);

      const dir = await Deno.makeTempDir({ prefix: "dnsa-socket-" });
      const log = `${dir}/queries.log`;
      await Deno.writeTextFile(
        log,
        "25-Nov-2026 20:43:16.780 client @0x7fd4ba26d098 127.0.0.10#35728 (youtube.com): " +
          "query: youtube.com IN A +E(0)K (127.0.0.1)\n",
      );
      const ingested = await db.run(["ingest", log], env);
      await Deno.remove(dir, { recursive: true });
      assert.equal(ingested.code, 0, ingested.stderr);
      const report = await db.run(["report", "top-domains", "--format", "json"], env);
      assert.equal(report.code, 0, report.stderr);
      assert.deepEqual(JSON.parse(report.stdout).map((r: { domain: string }) => r.domain), [
        "youtube.com",
      ]);
      const doctor = await db.run(["doctor"], env);
      assert.match(doctor.stdout, /connected to postgres:\/\/.*\?host=\/var\/run\/postgresql as /);
    } finally {
      await db.drop();
      if (!exists) await admin.unsafe(`drop role if exists "${role}"`);
      await admin.end({ timeout: 5 });
    }
  },
});
